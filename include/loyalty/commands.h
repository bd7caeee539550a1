// Commands: what a service asks the engine to do. The engine checks each
// against the current state before anything is appended, and rejects an
// invalid one with a status that names the field and the value.
//
// Every command carries its business time (occurred_at_us, microseconds since
// the Unix epoch, UTC) and the actor (service, operator or job) that issues
// it. Ids are chosen by the caller, so a retried command is applied once.
#ifndef LOYALTY_COMMANDS_H_
#define LOYALTY_COMMANDS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/limits.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty {

// Enrols a new member. AlreadyExists if the member id is enrolled.
struct EnrolMember {
  std::string member_id;
  v1::Personal personal;
  v1::Consent consent;
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

// Records that a member's personal data is erased; points and amounts stay.
// FailedPrecondition if already erased.
struct EraseMember {
  std::string member_id;
  std::string reason;
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

// Records a purchase and the points it earns: 1 point per whole
// fen_per_point (default 100 fen) times the multiplier of the tier in force
// before the purchase, floored. NotFound for an unknown member,
// FailedPrecondition for an erased one, AlreadyExists for a purchase id
// already recorded, InvalidArgument for a non-positive amount.
struct RecordPurchase {
  std::string purchase_id;
  std::string member_id;
  std::string partner_id;
  int64_t amount_fen = 0;
  std::string category;
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

// Refunds part or all of a purchase and claws back floor(P * R / A) of its
// points in total. NotFound for an unknown purchase; FailedPrecondition when
// the amount is more than what is left of the purchase.
struct RecordRefund {
  std::string refund_id;
  std::string purchase_id;
  int64_t amount_fen = 0;
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

// Redeems points, soonest-expiring first. FailedPrecondition when `points`
// is more than the member has available (the message names both).
struct Redeem {
  std::string redemption_id;
  std::string member_id;
  int64_t points = 0;
  std::string reward;
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

enum class AdjustmentDirection { kGrant, kDebit };

// A manual correction by an operator (the actor) with a reason. A debit
// beyond the balance becomes debt.
struct Adjust {
  std::string adjustment_id;
  std::string member_id;
  AdjustmentDirection direction = AdjustmentDirection::kGrant;
  int64_t points = 0;
  std::string reason;
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

// The birthday job for the local day D of occurred_at_us. A member's bonus
// of year Y falls due on the last day of their birth month in Y (28 or 29
// February for February birthdays), never on the birthday itself, so the
// log tells no more than the month. The job grants every bonus due on or
// before D and not granted yet, for the year of D and for the year before
// (to members enrolled by that year's end). Running it again grants
// nothing more.
// The result's sequences are every birthday bonus granted on that local day,
// ascending: a rerun for the same day appends nothing and returns the first
// run's sequences, with `deduplicated` set.
struct GrantBirthdayBonuses {
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

// Changes a policy (earning, tiers, expiry, birthday, SLA, retention) from
// occurred_at_us on. Fields left 0 keep the value in force.
struct SetPolicy {
  std::string policy_change_id;
  v1::PolicySet change;
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

// Files a complaint of a member about a partner (store), or about the mall
// itself when partner_id is empty. Starts the complaint's first cycle: the
// reply is due at the end of the 3rd working day (SLA policy) after the
// filing day. NotFound for an unknown member, FailedPrecondition for an
// erased one, AlreadyExists for a complaint id already filed.
struct FileComplaint {
  std::string complaint_id;
  std::string member_id;
  std::string partner_id;  // empty for the mall itself
  std::string category;    // e.g. "service", "product", "parking"
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

// Replies to a filed complaint, or to a reopened one (the reply of its new
// cycle). FailedPrecondition in any other state, naming the complaint, its
// state and the command.
struct ReplyToComplaint {
  std::string complaint_id;
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

// Starts investigating a replied complaint.
struct StartInvestigation {
  std::string complaint_id;
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

// Resolves a complaint under investigation; the customer must be notified
// within 5 working days (SLA policy). Goodwill points, if any, are granted
// to the member in the same batch, naming the complaint.
struct ResolveComplaint {
  std::string complaint_id;
  std::string resolution;       // a code such as "refund", "apology", "repair"
  int64_t goodwill_points = 0;  // 0: none
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

// Records that the customer was notified of the resolution.
struct NotifyCustomer {
  std::string complaint_id;
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

// The customer's answer to the resolution: satisfied closes the complaint;
// dissatisfied reopens it with a new cycle and fresh clocks.
struct ConfirmResolution {
  std::string complaint_id;
  bool satisfied = false;
  // kMinSatisfactionScore..kMaxSatisfactionScore (1..5, limits.h);
  // kNoSatisfactionScore (0, the default) when not given.
  int32_t satisfaction_score = kNoSatisfactionScore;
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

// Declares calendar days (holidays, make-up working days), e.g. one parsed
// calendar file (docs/calendar.md). A later declaration of a day wins.
// AlreadyExists when it would change nothing.
struct DeclareCalendarDays {
  v1::CalendarDaysDeclared declaration;
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

// Parses the text of a calendar file (format: docs/calendar.md; the official
// schedules ship as data/calendar/cn-YYYY.txt) into the declaration of a
// DeclareCalendarDays. Pure: the caller reads the file. InvalidArgument for
// the first error, naming its line: "calendar file line 7: \"2024-02-30\" is
// not a calendar date".
//
// Example:
//   absl::StatusOr<v1::CalendarDaysDeclared> parsed = ParseCalendarFile(text);
//   if (!parsed.ok()) return parsed.status();
//   DeclareCalendarDays command{*parsed, now_us, "calendar-admin"};
absl::StatusOr<v1::CalendarDaysDeclared> ParseCalendarFile(absl::string_view text);

// Records a member's answer to a satisfaction survey (contract clause 8.1):
// a score about a partner, about the handling of a complaint, or about the
// mall as a whole. The score counts in the average satisfaction of
// partner_id, or, when that is empty, of the complaint's partner. Appended as
// one SurveyAnswered on the stream "survey-<survey_id>" (not the member's
// stream: a survey changes none of the member's points or tier).
// InvalidArgument for a score outside kMinSatisfactionScore..
// kMaxSatisfactionScore (1..5, limits.h); NotFound for an unknown member or
// complaint; FailedPrecondition for an erased member or a complaint of
// another member; AlreadyExists for a survey id already recorded.
struct RecordSurvey {
  std::string survey_id;
  std::string member_id;
  std::string partner_id;    // empty: the complaint's partner, or the mall
  std::string complaint_id;  // empty when the survey follows no complaint
  int32_t score = 0;         // kMinSatisfactionScore..kMaxSatisfactionScore
  int64_t occurred_at_us = 0;
  std::string actor_id;
};

}  // namespace loyalty

#endif  // LOYALTY_COMMANDS_H_
