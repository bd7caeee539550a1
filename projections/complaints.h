// loyalty::projections::ComplaintProjection — complaints, their lifecycle and
// their SLA clocks, with compliance reports.
//
// Lifecycle (ComplaintState). Each arrow is one event of the complaint's
// stream "complaint-<complaint_id>":
//
//   (none) --ComplaintFiled--------------------> filed
//   filed --ComplaintReplied-------------------> replied
//   replied --ComplaintInvestigationStarted----> investigating
//   investigating --ComplaintResolved----------> resolved
//   resolved --CustomerNotified----------------> customer notified
//   customer notified --CustomerConfirmed------> closed     (satisfied)
//   customer notified --CustomerConfirmed------> reopened   (dissatisfied: a new cycle)
//   reopened --ComplaintReplied----------------> investigating
//
// Every other event of a complaint is out of order: the deciders reject the
// command before anything is appended (complaint_deciders.h), naming the
// complaint, its state and the command (CheckComplaintStep); Apply leaves
// the complaint as it was and records the event in anomalies()
// (complaint_step_out_of_order).
//
// Cycles. Filing starts cycle 1; each dissatisfied confirmation starts the
// next cycle at its occurred-at ("reopened": the complaint is back under
// investigation, with fresh clocks). At most kMaxComplaintCycles cycles.
// Each cycle has two SLA clocks:
//  reply: starts with the cycle. Due at the end (23:59:59.999999 local) of
//    the N-th working day after the local day the cycle started on, that
//    day not counted (N = SlaPolicy.reply_working_days in force, default 3).
//    Done by the cycle's ComplaintReplied. In a reopened cycle the reply is
//    the mall's answer to the customer's renewed complaint: the complaint
//    is investigated again, but it must be answered (ComplaintReplied)
//    within the reply deadline, and before it can be resolved again; no
//    second ComplaintInvestigationStarted is needed.
//  notification: starts with the cycle's ComplaintResolved. Due at the end
//    of the N-th working day after the resolution's local day
//    (N = notification_working_days, default 5). Done by CustomerNotified.
//
// Deadlines are fixed when a clock starts, from the calendar and the SLA
// policy at that point of the log: a later CalendarDaysDeclared or PolicySet
// never moves a deadline already known, so a replay gives the deadlines the
// live projection gave. When the calendar does not cover a year the count
// needs, the deadline is unknown: the clock records the working-day count
// and the missing year, and reports "due unknown: no holiday schedule is
// loaded for YYYY". The first later CalendarDaysDeclared after which the
// count succeeds fixes that deadline (with the count recorded at the start);
// it never changes after. A deadline is never guessed.
//
// Clock status as of an instant T (SlaClock::StatusAt):
//  met: done at or before its deadline;
//  breached: done after its deadline, or not done and T is after it, even
//    though no event says so;
//  pending: not done and T is at or before its deadline;
//  due unknown: the deadline is unknown (see above).
// The projection holds facts only: statuses are computed for the instant a
// query names, so nothing is time-driven and AdvanceTo moves only the
// header's now. Complaints belong to no member's business time
// (projection.h).
//
// Events it uses: the six complaint events; CalendarDaysDeclared (it keeps
// its own WorkingCalendar, so that it replays alone); PolicySet (for the SLA
// policy). Goodwill points are read from ComplaintResolved.goodwill_points;
// the PointsGranted that carries them is the balances' business.
// What it applies of an event that breaks a rule: nothing, and the event is
// recorded in anomalies() (anomaly.h): an empty complaint, member or
// category id (missing_id); a satisfaction score outside 0..5
// (score_out_of_range); goodwill points outside 0..kMaxPointsPerEvent
// (goodwill_out_of_range); a complaint filed twice (complaint_already_filed:
// the first filing stands); an event of a complaint never filed
// (complaint_not_filed); an out-of-order event
// (complaint_step_out_of_order); a reopening past kMaxComplaintCycles
// (complaint_cycles_exhausted); an invalid calendar declaration or policy
// change (invalid_calendar, invalid_policy: the calendar and the policy in
// force stay); an event off its home stream (home_stream.h).
#ifndef LOYALTY_PROJECTIONS_COMPLAINTS_H_
#define LOYALTY_PROJECTIONS_COMPLAINTS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "loyalty/limits.h"
#include "loyalty/v1/common.pb.h"
#include "projections/calendar.h"
#include "projections/policy.h"
#include "projections/projection.h"
#include "projections/replay.h"

namespace loyalty::projections {

// The numbers are stored in canonical states: never renumber.
enum class ComplaintState {
  kFiled = 1,
  kReplied = 2,
  kInvestigating = 3,
  kResolved = 4,
  kNotified = 5,
  kClosed = 6,
  kReopened = 7,
};

// "filed", "replied", "investigating", "resolved", "customer notified",
// "closed", "reopened".
absl::string_view ComplaintStateName(ComplaintState state);

enum class ClockKind { kReply = 1, kNotification = 2 };

// "reply", "notification".
absl::string_view ClockKindName(ClockKind kind);

enum class ClockStatus { kPending = 1, kMet = 2, kBreached = 3, kDueUnknown = 4 };

// "pending", "met", "breached", "due unknown".
absl::string_view ClockStatusName(ClockStatus status);

struct SlaClock {
  int64_t started_at_us = 0;
  // The working days the deadline is counted in (the policy when it started).
  int32_t working_days = 0;
  // The deadline; empty while the calendar cannot give it, and then
  // missing_calendar_year names the year without a holiday schedule.
  std::optional<int64_t> due_at_us;
  int32_t missing_calendar_year = 0;
  // When the reply or notification was made; empty while it is not.
  std::optional<int64_t> done_at_us;

  // The status as of `as_of_us` (see the top of this file).
  ClockStatus StatusAt(int64_t as_of_us) const;
};

struct ComplaintCycle {
  int64_t started_at_us = 0;  // the filing, or the confirmation that reopened it
  SlaClock reply;
  std::optional<int64_t> investigation_started_at_us;  // cycle 1 only
  std::optional<int64_t> resolved_at_us;
  std::string resolution;
  int64_t goodwill_points = 0;
  std::optional<SlaClock> notification;  // started by the resolution
  std::optional<int64_t> confirmed_at_us;
  bool satisfied = false;
  int32_t satisfaction_score = 0;  // 1..5; 0 when not given
};

struct Complaint {
  std::string member_id;
  std::string partner_id;  // empty for the mall itself
  std::string category;
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  ComplaintState state = ComplaintState::kFiled;
  std::vector<ComplaintCycle> cycles;  // in order; never empty
  // The latest occurred-at of the complaint's events; the deciders reject a
  // command that occurs before it.
  int64_t last_event_at_us = 0;

  int64_t filed_at_us() const { return cycles.front().started_at_us; }
  const ComplaintCycle& current_cycle() const { return cycles.back(); }
  int64_t goodwill_points_total() const;
};

// The steps a command asks of a complaint, after filing.
enum class ComplaintStep { kReply, kStartInvestigation, kResolve, kNotify, kConfirm };

// The command that asks for `step`: "ReplyToComplaint", "StartInvestigation",
// "ResolveComplaint", "NotifyCustomer", "ConfirmResolution".
absl::string_view ComplaintCommandName(ComplaintStep step);

// OK when `step` may come next for `complaint`. Otherwise FailedPrecondition
// naming the command, the complaint, its state and cycle, and what the step
// needs, e.g.
//   ResolveComplaint: complaint "C1" is closed (cycle 2); nothing follows closing
//   ReplyToComplaint: complaint "C1" is replied (cycle 1); a reply needs the
//     complaint filed or reopened
// A dissatisfied confirmation when the complaint already has
// kMaxComplaintCycles cycles is rejected too (`reopens` true).
absl::Status CheckComplaintStep(absl::string_view complaint_id, const Complaint& complaint,
                                ComplaintStep step, bool reopens = false);

// One clock of one cycle of a complaint, with its status as of an instant.
struct ClockView {
  std::string complaint_id;
  std::string partner_id;
  std::string category;
  int32_t cycle = 0;  // 1, 2, ...
  ClockKind kind = ClockKind::kReply;
  SlaClock clock;
  ClockStatus status = ClockStatus::kPending;
};

// A complaint as of an instant.
struct ComplaintView {
  std::string complaint_id;
  std::string member_id;
  std::string partner_id;
  std::string category;
  ComplaintState state = ComplaintState::kFiled;
  int64_t filed_at_us = 0;
  int32_t cycle_count = 0;
  int64_t goodwill_points_total = 0;
  // The satisfaction score of the latest confirmation that gave one; 0 if none.
  int32_t satisfaction_score = 0;
  std::vector<ClockView> clocks;  // by cycle; reply before notification
  int64_t as_of_us = 0;
};

// Clocks counted by status.
struct SlaCounts {
  int64_t met = 0;
  int64_t breached = 0;
  int64_t pending = 0;
  int64_t due_unknown = 0;

  int64_t clocks() const { return met + breached + pending + due_unknown; }
  // Compliance: floor(met * 10000 / (met + breached)) in basis points, over
  // the clocks whose outcome is known; empty while there is none (no rate
  // is not a rate of 0).
  std::optional<int64_t> compliance_bp() const;
  void Add(ClockStatus status);
  void Add(const SlaCounts& other);
};

// SLA compliance of the cycles started in a window of local days, as of an
// instant.
struct SlaReport {
  absl::CivilDay from_day;
  absl::CivilDay to_day;
  int64_t as_of_us = 0;
  int64_t cycles = 0;   // cycles started in the window
  int64_t reopens = 0;  // of which reopenings (cycle 2 and later)
  SlaCounts all;        // every clock of those cycles
  SlaCounts reply;
  SlaCounts notification;
  // By the local month of each clock's deadline: a clock belongs to the
  // month its deadline fell in (a reply to a complaint filed on 30 January
  // and due on 2 February counts in February). Clocks whose deadline is
  // unknown have no month: they are counted in `all` only.
  absl::btree_map<absl::CivilMonth, SlaCounts> by_due_month;
  // By the complaint's partner ("" for complaints about the mall itself).
  absl::btree_map<std::string, SlaCounts> by_partner;
  absl::btree_map<std::string, SlaCounts> by_category;
};

class ComplaintProjection final : public Projection {
 public:
  // Starts with the default policy and an empty calendar (no year covered).
  ComplaintProjection() = default;

  // "complaints".
  absl::string_view name() const override { return "complaints"; }
  absl::Status Apply(const v1::Envelope& envelope) override;
  void AdvanceTo(int64_t instant_us) override { position_.MoveTo(instant_us); }
  std::string CanonicalState() const override;
  absl::Status Restore(absl::string_view canonical_state) override;
  const AnomalyLog& anomalies() const override { return anomalies_; }

  // The complaint, or nullptr if it was never filed.
  const Complaint* FindComplaint(absl::string_view complaint_id) const;

  // Every complaint, by id.
  const absl::btree_map<std::string, Complaint>& complaints() const { return complaints_; }

  // The complaint with its clocks' statuses as of `as_of_us`. NotFound for
  // a complaint never filed.
  absl::StatusOr<ComplaintView> ViewAt(absl::string_view complaint_id, int64_t as_of_us) const;

  // The compliance of the cycles whose start (filing or reopening) falls on
  // a local day in [from_day, to_day], with each clock's status as of
  // `as_of_us`. InvalidArgument when from_day is after to_day.
  absl::StatusOr<SlaReport> Report(absl::CivilDay from_day, absl::CivilDay to_day,
                                   int64_t as_of_us) const;

  // Every clock of every complaint (all cycles ever started) by partner, as
  // of `as_of_us`; complaints about the mall itself under "". For partner
  // scorecards (scorecard.h).
  absl::btree_map<std::string, SlaCounts> CountsByPartner(int64_t as_of_us) const;

  // The clocks not done yet, nearest deadline first: overdue ones (breached)
  // before pending ones, clocks with an unknown deadline last; ties by
  // complaint id, cycle and kind. At most `limit`.
  std::vector<ClockView> OpenClocks(int64_t as_of_us, size_t limit) const;

  // The calendar and the policy this projection counts deadlines with.
  const WorkingCalendar& calendar() const { return calendar_; }
  const Policy& policy() const { return policy_; }
  int64_t now_us() const { return position_.now_us(); }
  uint64_t last_sequence() const { return position_.last_sequence(); }

 private:
  void Dispatch(const v1::Envelope& envelope);
  void OnFiled(const v1::Envelope& envelope);
  void OnCalendar(const v1::Envelope& envelope);
  // The complaint an event after filing names, checked to allow `step`;
  // nullptr, recording why, when it does not.
  Complaint* ComplaintFor(const v1::Envelope& envelope, absl::string_view complaint_id,
                          ComplaintStep step, bool reopens);
  // Applies `step` of complaint `complaint_id`.
  void OnStep(const v1::Envelope& envelope, ComplaintStep step, const std::string& complaint_id);
  // A clock starting at `started_at_us`, its deadline counted in
  // `working_days` with the calendar as it is now.
  SlaClock StartClock(int64_t started_at_us, int32_t working_days) const;
  // Tries again to count the deadline of a clock whose deadline is unknown.
  void RetryDeadline(SlaClock* clock) const;

  ReplayPosition position_;
  Policy policy_;
  WorkingCalendar calendar_;
  absl::btree_map<std::string, Complaint> complaints_;
  AnomalyLog anomalies_;
};

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_COMPLAINTS_H_
