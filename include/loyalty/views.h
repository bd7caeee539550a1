// What the engine's queries return: plain values, copied out of the
// projections, safe to keep and to pass between threads.
#ifndef LOYALTY_VIEWS_H_
#define LOYALTY_VIEWS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "loyalty/ledger.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/points.pb.h"

namespace loyalty {

// Which state a query reads, on one of three axes (docs/embedding.md,
// "Queries and AsOf"):
//  - by sequence: a prefix of the log, evaluated at the business time its
//    last event reached;
//  - by business time: what had occurred by an instant, as the log knows it
//    now (what an operator means by "the member's tier on 30 June");
//  - by recorded time: what the ledger knew at an instant (ledger time).
// "Evaluated at T" means that every time-driven effect (lot expiry, tier
// re-evaluation at the end of protection, SLA clocks) runs up to T.
class AsOf {
 public:
  // Everything appended so far, with time-driven effects (expiry, tier
  // re-evaluation) up to the engine clock's now.
  static AsOf Now() { return AsOf(Kind::kNow, 0); }
  // The events with sequence <= `sequence` (clamped to the head), evaluated
  // at the business time (occurred_at_us) of the last of them, event
  // `sequence` itself. A member or projection whose business time is
  // already past it (event `sequence` was backdated) stays where it is:
  // business time never goes backwards. Never changes as the log grows.
  static AsOf Sequence(uint64_t sequence) { return AsOf(Kind::kSequence, sequence); }
  // The events that occurred (occurred_at_us) at or before `instant_us`,
  // from the whole log as it is now, in log order, evaluated at
  // `instant_us`. An event recorded later with an earlier occurred-at (an
  // imported history) counts; the answer changes when such events are
  // appended.
  static AsOf BusinessTime(int64_t instant_us) {
    return AsOf(Kind::kBusinessTime, static_cast<uint64_t>(instant_us));
  }
  // The events recorded (ledger time, recorded_at_us) at or before
  // `instant_us`: a prefix of the log, evaluated at `instant_us`. Never
  // changes as the log grows.
  static AsOf RecordedTime(int64_t instant_us) {
    return AsOf(Kind::kRecordedTime, static_cast<uint64_t>(instant_us));
  }

  enum class Kind { kNow, kSequence, kBusinessTime, kRecordedTime };
  Kind kind() const { return kind_; }
  uint64_t sequence() const { return value_; }
  // The instant of BusinessTime and RecordedTime.
  int64_t instant_us() const { return static_cast<int64_t>(value_); }

 private:
  AsOf(Kind kind, uint64_t value) : kind_(kind), value_(value) {}
  Kind kind_;
  uint64_t value_;
};

// A lot of points granted together and expiring together.
struct LotView {
  int64_t points_remaining = 0;
  int64_t granted_at_us = 0;
  int64_t expires_at_us = 0;
  v1::GrantReason reason = v1::GRANT_REASON_UNSPECIFIED;
  std::string source_id;  // purchase, complaint or campaign id; birthday year
};

struct TierChangeView {
  int64_t at_us = 0;
  v1::Tier from = v1::TIER_UNSPECIFIED;
  v1::Tier to = v1::TIER_UNSPECIFIED;
  std::string cause;  // "upgrade" or "reevaluation"
  int64_t qualifying_spend_fen = 0;
};

struct MemberView {
  std::string member_id;
  bool erased = false;
  int64_t enrolled_at_us = 0;
  // Points the member can redeem now; never negative.
  int64_t available_points = 0;
  // Points the member owes (clawbacks the balance could not cover).
  int64_t debt_points = 0;
  int64_t earned_points_total = 0;
  int64_t redeemed_points_total = 0;
  int64_t expired_points_total = 0;
  int64_t clawed_back_points_total = 0;
  // The latest occurred-at of the member's purchases and redemptions; 0 if
  // none. Only events of the member's own stream count: complaints and
  // surveys, on streams of their own, do not move it.
  int64_t last_activity_at_us = 0;
  std::vector<LotView> lots;  // soonest-expiring first
  v1::Tier tier = v1::TIER_REGULAR;
  int64_t tier_protected_until_us = 0;
  int64_t qualifying_spend_fen = 0;
  std::vector<TierChangeView> tier_history;
  // The last event of the member applied, the business time evaluated at,
  // and the axis of the AsOf asked for.
  uint64_t as_of_sequence = 0;
  int64_t as_of_us = 0;
  AsOf::Kind as_of_kind = AsOf::Kind::kNow;
};

struct TierCounts {
  int64_t regular = 0;
  int64_t silver = 0;
  int64_t gold = 0;
  int64_t platinum = 0;
};

struct LiabilityView {
  // Points held in unexpired lots, summed over members: what the mall owes.
  int64_t outstanding_points = 0;
  // Points members owe, summed over members (not netted against the above).
  int64_t debt_points = 0;
  int64_t members = 0;
  // Outstanding points by the local month (Asia/Shanghai) their lots expire
  // in, "YYYY-MM", soonest first; months with nothing to expire are absent.
  std::vector<std::pair<std::string, int64_t>> expiring_by_month;
};

// A partner (store): its sales, and the complaints and satisfaction scores
// about it. A partner appears once a purchase, a complaint or a scored
// survey names it.
struct PartnerScorecard {
  std::string partner_id;
  int64_t gross_sales_fen = 0;
  int64_t refunded_fen = 0;
  int64_t net_sales_fen = 0;
  int64_t purchase_count = 0;
  int64_t refund_count = 0;
  int64_t refund_rate_bp = 0;  // refunded_fen * 10000 / gross_sales_fen
  int64_t points_issued = 0;   // granted on its sales
  // Complaints filed naming the partner.
  int64_t complaint_count = 0;
  // The SLA clocks (reply and notification, every cycle) of those
  // complaints, by status as of the view's evaluation instant (see
  // Engine::Program): done by the deadline, or done late or overdue.
  int64_t sla_met = 0;
  int64_t sla_breached = 0;
  // floor(sla_met * 10000 / (sla_met + sla_breached)); -1 while no clock's
  // outcome is known (no rate is not a rate of 0).
  int64_t sla_compliance_bp = -1;
  // The average satisfaction score (kMinSatisfactionScore..
  // kMaxSatisfactionScore, limits.h; from confirmations of its
  // complaints and from surveys) in hundredths, floor(sum * 100 / count):
  // 4.5 is 450. -1 while no score was given.
  int64_t average_satisfaction_centi = -1;
};

// ------------------------------------------------------------ complaints
//
// A complaint goes filed -> replied -> investigating -> resolved -> customer
// notified -> closed (satisfied), or -> reopened (dissatisfied: a new cycle,
// which is replied to, resolved and notified again). Each cycle has two SLA
// clocks: the reply, due at the end (23:59:59.999999 at UTC+8) of the 3rd
// working day after the day the cycle started, and the notification, due at
// the end of the 5th working day after the day of the cycle's resolution
// (the numbers are the SLA policy in force when the clock started). Working
// days come from the calendar recorded in the log (docs/calendar.md).

enum class ComplaintState {
  kFiled,
  kReplied,
  kInvestigating,
  kResolved,
  kCustomerNotified,
  kClosed,
  kReopened,
};

enum class SlaClockKind { kReply, kNotification };

// A clock's status as of an instant T:
//  kMet: done at or before its deadline;
//  kBreached: done after its deadline, or not done and T is past it;
//  kPending: not done and T is at or before its deadline;
//  kDueUnknown: the deadline cannot be counted yet, because the calendar
//    covers no holiday schedule of a year the count needs
//    (missing_calendar_year); it is fixed once that schedule is loaded.
enum class SlaClockStatus { kPending, kMet, kBreached, kDueUnknown };

struct SlaClockView {
  SlaClockKind kind = SlaClockKind::kReply;
  int64_t started_at_us = 0;
  // The working days the deadline is counted in.
  int32_t working_days = 0;
  // The deadline; 0 while unknown (status kDueUnknown), and then
  // missing_calendar_year names the year without a holiday schedule.
  int64_t due_at_us = 0;
  int32_t missing_calendar_year = 0;
  // When the reply or notification was made; 0 while it is not.
  int64_t done_at_us = 0;
  SlaClockStatus status = SlaClockStatus::kPending;
};

// One cycle of a complaint: the filing or a reopening, and what followed.
// Instants are 0 for what has not happened.
struct ComplaintCycleView {
  int32_t cycle = 0;          // 1, 2, ...
  int64_t started_at_us = 0;  // the filing, or the confirmation that reopened it
  SlaClockView reply;
  int64_t investigation_started_at_us = 0;  // cycle 1 only
  int64_t resolved_at_us = 0;
  std::string resolution;       // e.g. "refund", "apology"; "" before resolution
  int64_t goodwill_points = 0;  // granted with the resolution
  // Started by the resolution: meaningful only when has_notification.
  bool has_notification = false;
  SlaClockView notification;
  int64_t confirmed_at_us = 0;
  bool satisfied = false;
  int32_t satisfaction_score = 0;  // 1..5; 0 when not given
};

struct ComplaintView {
  std::string complaint_id;
  std::string member_id;
  std::string partner_id;  // "" for a complaint about the mall itself
  std::string category;
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  ComplaintState state = ComplaintState::kFiled;
  int64_t filed_at_us = 0;
  int64_t goodwill_points_total = 0;
  // The score of the latest confirmation that gave one; 0 if none.
  int32_t satisfaction_score = 0;
  std::vector<ComplaintCycleView> cycles;  // in order; never empty
  // The state read (the ledger's sequence bound), the instant the clocks'
  // statuses are evaluated at (see Engine::Complaint), and the axis of the
  // AsOf asked for.
  uint64_t as_of_sequence = 0;
  int64_t as_of_us = 0;
  AsOf::Kind as_of_kind = AsOf::Kind::kNow;
};

// SLA clocks counted by status.
struct SlaCountsView {
  int64_t met = 0;
  int64_t breached = 0;
  int64_t pending = 0;
  int64_t due_unknown = 0;
  // floor(met * 10000 / (met + breached)): the compliance over the clocks
  // whose outcome is known; -1 while there is none.
  int64_t compliance_bp = -1;
};

// The clocks of one group (a month, a partner, a category): all of them, and
// the reply and notification clocks apart.
struct SlaGroupView {
  // "YYYY-MM" (the local month of the deadlines), a partner id ("" for the
  // mall itself) or a category.
  std::string key;
  SlaCountsView all;
  SlaCountsView reply;
  SlaCountsView notification;
};

// A clock not done yet, for the list of those nearest their deadline.
struct OpenClockView {
  std::string complaint_id;
  std::string partner_id;
  std::string category;
  int32_t cycle = 0;
  SlaClockView clock;  // done_at_us is 0; status kPending, kBreached or kDueUnknown
};

// Open clocks an SLA report lists at most.
inline constexpr size_t kSlaReportOpenClocksMax = 20;

// SLA compliance of the complaint cycles that started (filing or reopening)
// on a local day in [from_day, to_day], each clock evaluated as of one
// instant.
struct SlaReportView {
  absl::CivilDay from_day;
  absl::CivilDay to_day;
  int64_t cycles = 0;   // cycles started in the window
  int64_t reopens = 0;  // of which reopenings (cycle 2 and later)
  SlaGroupView total;   // every clock of those cycles; key ""
  // By the local month each clock's deadline falls in, ascending (a reply to
  // a complaint filed on 30 January and due on 2 February counts in
  // February). Clocks with an unknown deadline have no month: they are
  // counted in `total` and in the partner and category groups only.
  std::vector<SlaGroupView> by_due_month;
  std::vector<SlaGroupView> by_partner;   // by partner id; "" (the mall) first
  std::vector<SlaGroupView> by_category;  // by category
  // The clocks of those cycles that are not done, nearest deadline first
  // (overdue ones first, unknown deadlines last; ties by complaint id,
  // cycle, reply before notification), at most kSlaReportOpenClocksMax;
  // open_clock_count counts them all.
  std::vector<OpenClockView> open_clocks;
  int64_t open_clock_count = 0;
  // The state read, the instant the clocks are evaluated at, and the axis
  // of the AsOf asked for.
  uint64_t as_of_sequence = 0;
  int64_t as_of_us = 0;
  AsOf::Kind as_of_kind = AsOf::Kind::kNow;
};

// One projection's canonical digest: SHA-256 of its canonical state.
struct ProjectionDigest {
  std::string name;
  Hash digest{};
};

// An event a projection applied only as far as a rule of the domain allowed
// (docs/reliability.md, "Events that break a rule"): a redemption past the
// balance, a purchase of a member never enrolled, points out of range, a
// complaint step out of order, ... The engine's commands never append one
// (they are refused instead); a raw append or an older build can. Such an
// event never stops the engine: it is applied as far as its rule allows,
// the same way by every replay, and listed here.
struct AnomalyView {
  uint64_t sequence = 0;
  std::string stream_id;
  std::string projection;  // the projection that recorded it, e.g. "balances"
  std::string rule;        // a short stable name, e.g. "redemption_exceeds_balance"
  std::string message;     // what was wrong and what was applied of the event
};

// The anomalies of the projections at one point of the log
// (Engine::Anomalies).
struct AnomaliesView {
  // By sequence, then projection name. Each projection keeps the first 1000
  // it recorded with their details; later ones are only counted.
  std::vector<AnomalyView> anomalies;
  // Every anomaly recorded, listed or not.
  uint64_t count = 0;
  // The last event applied.
  uint64_t as_of_sequence = 0;
};

// ---------------------------------------------------------------- contact
//
// Contract clause 6.2 names phone, SMS and e-mail as the ways to reach a
// member; the consent the log records (loyalty.v1.Consent) has a flag for
// SMS and for e-mail only, so those are the channels a member may be
// contacted on. No consent to phone calls is recorded, so none is offered.

enum class ContactChannel { kSms, kEmail };

// Why a member is contacted (clause 5.2: relationship management and the
// loyalty program's activities).
//  kBirthdayCare: care of the member (birthday wishes, the birthday bonus);
//    needs the channel's consent.
//  kOffers: member offers (marketing); needs the marketing consent and the
//    channel's.
enum class ContactPurpose { kBirthdayCare, kOffers };

// The members that may be contacted on one channel for one purpose at one
// point of the log (Engine::Contactable): ids only, no personal data.
struct ContactableView {
  ContactChannel channel = ContactChannel::kSms;
  ContactPurpose purpose = ContactPurpose::kBirthdayCare;
  std::vector<std::string> member_ids;  // ascending
  // The last event applied, and the axis of the AsOf asked for.
  uint64_t as_of_sequence = 0;
  AsOf::Kind as_of_kind = AsOf::Kind::kNow;
};

// A whole-program report at one point of the log.
struct ProgramView {
  // The last event applied, the business time evaluated at, and the axis of
  // the AsOf asked for.
  uint64_t as_of_sequence = 0;
  int64_t as_of_us = 0;
  AsOf::Kind as_of_kind = AsOf::Kind::kNow;
  TierCounts tiers;
  LiabilityView liability;
  // By partner id; their SLA figures evaluated at the SLA instant of the
  // query's AsOf (Engine::Program).
  std::vector<PartnerScorecard> partners;
  // By projection name: the projections' state after the events read,
  // evaluated as the AsOf says (for AsOf::Now, before the clock's now: the
  // digests describe the log, not the wall clock).
  std::vector<ProjectionDigest> digests;
};

}  // namespace loyalty

#endif  // LOYALTY_VIEWS_H_
