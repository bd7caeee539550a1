#include "projections/complaints.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "projections/apply_in_order.h"
#include "projections/decider_support.h"
#include "loyalty/limits.h"
#include "projections/event_checks.h"
#include "projections/home_stream.h"
#include "projections/local_time.h"
#include "projections/points_math.h"
#include "projections/policy_projection.h"

namespace loyalty::projections {
namespace {

// What a step needs, for the error message.
absl::string_view StepNeeds(ComplaintStep step) {
  switch (step) {
    case ComplaintStep::kReply:
      return "a reply needs the complaint filed or reopened";
    case ComplaintStep::kStartInvestigation:
      return "an investigation needs the complaint replied";
    case ComplaintStep::kResolve:
      return "a resolution needs the complaint investigating";
    case ComplaintStep::kNotify:
      return "notifying the customer needs the complaint resolved";
    case ComplaintStep::kConfirm:
      return "a confirmation needs the customer notified";
  }
  return "";
}

bool StepAllowed(ComplaintState state, ComplaintStep step) {
  switch (step) {
    case ComplaintStep::kReply:
      return state == ComplaintState::kFiled || state == ComplaintState::kReopened;
    case ComplaintStep::kStartInvestigation:
      return state == ComplaintState::kReplied;
    case ComplaintStep::kResolve:
      return state == ComplaintState::kInvestigating;
    case ComplaintStep::kNotify:
      return state == ComplaintState::kResolved;
    case ComplaintStep::kConfirm:
      return state == ComplaintState::kNotified;
  }
  return false;
}

// The step an event after filing asks for, and the complaint it names.
bool StepOf(const v1::Event& event, ComplaintStep* step, std::string* complaint_id) {
  switch (event.kind_case()) {
    case v1::Event::kComplaintReplied:
      *step = ComplaintStep::kReply;
      break;
    case v1::Event::kComplaintInvestigationStarted:
      *step = ComplaintStep::kStartInvestigation;
      break;
    case v1::Event::kComplaintResolved:
      *step = ComplaintStep::kResolve;
      break;
    case v1::Event::kCustomerNotified:
      *step = ComplaintStep::kNotify;
      break;
    case v1::Event::kCustomerConfirmed:
      *step = ComplaintStep::kConfirm;
      break;
    default:
      return false;
  }
  // The same field the stream check reads (home_stream.h).
  absl::string_view id;
  ComplaintIdOf(event, &id);
  *complaint_id = std::string(id);
  return true;
}

ClockView MakeClockView(const std::string& complaint_id, const Complaint& complaint, size_t cycle,
                        ClockKind kind, const SlaClock& clock, int64_t as_of_us) {
  ClockView view;
  view.complaint_id = complaint_id;
  view.partner_id = complaint.partner_id;
  view.category = complaint.category;
  view.cycle = static_cast<int32_t>(cycle + 1);
  view.kind = kind;
  view.clock = clock;
  view.status = clock.StatusAt(as_of_us);
  return view;
}

// Calls visit(cycle index, kind, clock) for every clock of `complaint`.
template <typename Visit>
void ForEachClock(const Complaint& complaint, Visit visit) {
  for (size_t i = 0; i < complaint.cycles.size(); ++i) {
    const ComplaintCycle& cycle = complaint.cycles[i];
    visit(i, ClockKind::kReply, cycle.reply);
    if (cycle.notification.has_value()) visit(i, ClockKind::kNotification, *cycle.notification);
  }
}

}  // namespace

absl::string_view ComplaintStateName(ComplaintState state) {
  switch (state) {
    case ComplaintState::kFiled:
      return "filed";
    case ComplaintState::kReplied:
      return "replied";
    case ComplaintState::kInvestigating:
      return "investigating";
    case ComplaintState::kResolved:
      return "resolved";
    case ComplaintState::kNotified:
      return "customer notified";
    case ComplaintState::kClosed:
      return "closed";
    case ComplaintState::kReopened:
      return "reopened";
  }
  return "unknown";
}

absl::string_view ClockKindName(ClockKind kind) {
  return kind == ClockKind::kReply ? "reply" : "notification";
}

absl::string_view ClockStatusName(ClockStatus status) {
  switch (status) {
    case ClockStatus::kPending:
      return "pending";
    case ClockStatus::kMet:
      return "met";
    case ClockStatus::kBreached:
      return "breached";
    case ClockStatus::kDueUnknown:
      return "due unknown";
  }
  return "unknown";
}

absl::string_view ComplaintCommandName(ComplaintStep step) {
  switch (step) {
    case ComplaintStep::kReply:
      return "ReplyToComplaint";
    case ComplaintStep::kStartInvestigation:
      return "StartInvestigation";
    case ComplaintStep::kResolve:
      return "ResolveComplaint";
    case ComplaintStep::kNotify:
      return "NotifyCustomer";
    case ComplaintStep::kConfirm:
      return "ConfirmResolution";
  }
  return "";
}

ClockStatus SlaClock::StatusAt(int64_t as_of_us) const {
  if (!due_at_us.has_value()) return ClockStatus::kDueUnknown;
  if (done_at_us.has_value()) {
    return *done_at_us <= *due_at_us ? ClockStatus::kMet : ClockStatus::kBreached;
  }
  return as_of_us > *due_at_us ? ClockStatus::kBreached : ClockStatus::kPending;
}

int64_t Complaint::goodwill_points_total() const {
  int64_t total = 0;
  for (const ComplaintCycle& cycle : cycles) total += cycle.goodwill_points;
  return total;
}

absl::Status CheckComplaintStep(absl::string_view complaint_id, const Complaint& complaint,
                                ComplaintStep step, bool reopens) {
  const std::string where =
      absl::StrCat(ComplaintCommandName(step), ": complaint ", Quoted(complaint_id), " is ",
                   ComplaintStateName(complaint.state), " (cycle ", complaint.cycles.size(), ")");
  if (complaint.state == ComplaintState::kClosed) {
    return absl::FailedPreconditionError(absl::StrCat(where, "; nothing follows closing"));
  }
  if (!StepAllowed(complaint.state, step)) {
    std::string needs(StepNeeds(step));
    if (step == ComplaintStep::kResolve && complaint.state == ComplaintState::kReopened) {
      absl::StrAppend(&needs, " (a reopened complaint is replied to first)");
    }
    return absl::FailedPreconditionError(absl::StrCat(where, "; ", needs));
  }
  if (reopens && static_cast<int64_t>(complaint.cycles.size()) >= kMaxComplaintCycles) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, "; it has reached the limit of ", kMaxComplaintCycles,
                     " cycles and cannot be reopened again"));
  }
  return absl::OkStatus();
}

std::optional<int64_t> SlaCounts::compliance_bp() const {
  if (met + breached == 0) return std::nullopt;
  return RateBp(met, met + breached);
}

void SlaCounts::Add(ClockStatus status) {
  switch (status) {
    case ClockStatus::kPending:
      ++pending;
      break;
    case ClockStatus::kMet:
      ++met;
      break;
    case ClockStatus::kBreached:
      ++breached;
      break;
    case ClockStatus::kDueUnknown:
      ++due_unknown;
      break;
  }
}

void SlaCounts::Add(const SlaCounts& other) {
  met += other.met;
  breached += other.breached;
  pending += other.pending;
  due_unknown += other.due_unknown;
}

absl::Status ComplaintProjection::Apply(const v1::Envelope& envelope) {
  return ApplyInOrder(envelope, &position_, [&] {
    AdvanceTo(envelope.occurred_at_us());
    Dispatch(envelope);
  });
}

void ComplaintProjection::Dispatch(const v1::Envelope& envelope) {
  const v1::Event& event = envelope.event();
  ComplaintStep step = ComplaintStep::kReply;
  std::string complaint_id;
  const bool is_step = StepOf(event, &step, &complaint_id);
  if (!is_step && !event.has_complaint_filed() && !event.has_calendar_days_declared() &&
      !event.has_policy_set()) {
    return;  // not an event this projection uses
  }
  if (RecordIfMisplaced(envelope, &anomalies_)) return;
  if (event.has_complaint_filed()) return OnFiled(envelope);
  if (event.has_calendar_days_declared()) return OnCalendar(envelope);
  if (event.has_policy_set()) {
    ApplyPolicyEvent(envelope, &policy_, &anomalies_);
    return;
  }
  OnStep(envelope, step, complaint_id);
}

SlaClock ComplaintProjection::StartClock(int64_t started_at_us, int32_t working_days) const {
  SlaClock clock;
  clock.started_at_us = started_at_us;
  clock.working_days = working_days;
  RetryDeadline(&clock);
  return clock;
}

void ComplaintProjection::RetryDeadline(SlaClock* clock) const {
  const WorkingDayCount count =
      calendar_.CountWorkingDays(LocalDayOf(clock->started_at_us), clock->working_days);
  if (count.day.has_value()) {
    clock->due_at_us = EndOfLocalDayUs(*count.day);
    clock->missing_calendar_year = 0;
  } else {
    clock->missing_calendar_year = static_cast<int32_t>(count.missing_year);
  }
}

void ComplaintProjection::OnFiled(const v1::Envelope& envelope) {
  const v1::ComplaintFiled& filed = envelope.event().complaint_filed();
  if (!CheckEventId(envelope, "member_id", filed.member_id(), &anomalies_) ||
      !CheckEventId(envelope, "category", filed.category(), &anomalies_)) {
    return;
  }
  if (complaints_.contains(filed.complaint_id())) {
    anomalies_.Record(envelope, anomaly_rule::kComplaintAlreadyFiled,
                      absl::StrCat("complaint ", QuotedForAnomaly(filed.complaint_id()),
                                   " is already filed; the filing is not applied"));
    return;
  }
  Complaint complaint;
  complaint.member_id = filed.member_id();
  complaint.partner_id = filed.partner_id();
  complaint.category = filed.category();
  complaint.channel = filed.channel();
  complaint.state = ComplaintState::kFiled;
  complaint.last_event_at_us = envelope.occurred_at_us();
  ComplaintCycle& cycle = complaint.cycles.emplace_back();
  cycle.started_at_us = envelope.occurred_at_us();
  cycle.reply = StartClock(envelope.occurred_at_us(), policy_.reply_working_days());
  complaints_.emplace(filed.complaint_id(), std::move(complaint));
}

void ComplaintProjection::OnCalendar(const v1::Envelope& envelope) {
  if (!ApplyCalendarEvent(envelope, &calendar_, &anomalies_)) return;
  for (auto& [complaint_id, complaint] : complaints_) {
    for (ComplaintCycle& cycle : complaint.cycles) {
      if (!cycle.reply.due_at_us.has_value()) RetryDeadline(&cycle.reply);
      if (cycle.notification.has_value() && !cycle.notification->due_at_us.has_value()) {
        RetryDeadline(&*cycle.notification);
      }
    }
  }
}

Complaint* ComplaintProjection::ComplaintFor(const v1::Envelope& envelope,
                                             absl::string_view complaint_id, ComplaintStep step,
                                             bool reopens) {
  auto it = complaints_.find(complaint_id);
  if (it == complaints_.end()) {
    anomalies_.Record(envelope, anomaly_rule::kComplaintNotFiled,
                      absl::StrCat(ComplaintCommandName(step), ": complaint ",
                                   QuotedForAnomaly(complaint_id),
                                   " is not filed; the event is not applied"));
    return nullptr;
  }
  absl::Status status = CheckComplaintStep(complaint_id, it->second, step, reopens);
  if (!status.ok()) {
    // The only step CheckComplaintStep refuses in an allowed state is a
    // reopening past the limit of cycles.
    const bool exhausted = reopens && it->second.state == ComplaintState::kNotified;
    anomalies_.Record(envelope,
                      exhausted ? anomaly_rule::kComplaintCyclesExhausted
                                : anomaly_rule::kComplaintStepOutOfOrder,
                      absl::StrCat(status.message(), "; the event is not applied"));
    return nullptr;
  }
  return &it->second;
}

void ComplaintProjection::OnStep(const v1::Envelope& envelope, ComplaintStep step,
                                 const std::string& complaint_id) {
  const v1::Event& event = envelope.event();
  const int64_t at_us = envelope.occurred_at_us();
  // Malformed values first, so that nothing changes for them.
  if (step == ComplaintStep::kResolve) {
    const int64_t goodwill = event.complaint_resolved().goodwill_points();
    if (goodwill < 0 || goodwill > kMaxPointsPerEvent) {
      anomalies_.Record(envelope, anomaly_rule::kGoodwillOutOfRange,
                        absl::StrCat("goodwill_points ", goodwill, " is not in [0, ",
                                     kMaxPointsPerEvent, "]; the event is not applied"));
      return;
    }
  }
  if (step == ComplaintStep::kConfirm &&
      !CheckEventScore(envelope, "satisfaction_score",
                       event.customer_confirmed().satisfaction_score(), &anomalies_)) {
    return;
  }
  const bool reopens =
      step == ComplaintStep::kConfirm && !event.customer_confirmed().satisfied();
  Complaint* found = ComplaintFor(envelope, complaint_id, step, reopens);
  if (found == nullptr) return;
  Complaint& complaint = *found;
  ComplaintCycle& cycle = complaint.cycles.back();
  complaint.last_event_at_us = std::max(complaint.last_event_at_us, at_us);
  switch (step) {
    case ComplaintStep::kReply:
      cycle.reply.done_at_us = at_us;
      complaint.state = complaint.state == ComplaintState::kFiled ? ComplaintState::kReplied
                                                                 : ComplaintState::kInvestigating;
      break;
    case ComplaintStep::kStartInvestigation:
      cycle.investigation_started_at_us = at_us;
      complaint.state = ComplaintState::kInvestigating;
      break;
    case ComplaintStep::kResolve:
      cycle.resolved_at_us = at_us;
      cycle.resolution = event.complaint_resolved().resolution();
      cycle.goodwill_points = event.complaint_resolved().goodwill_points();
      cycle.notification = StartClock(at_us, policy_.notification_working_days());
      complaint.state = ComplaintState::kResolved;
      break;
    case ComplaintStep::kNotify:
      cycle.notification->done_at_us = at_us;
      complaint.state = ComplaintState::kNotified;
      break;
    case ComplaintStep::kConfirm: {
      const v1::CustomerConfirmed& confirmed = event.customer_confirmed();
      cycle.confirmed_at_us = at_us;
      cycle.satisfied = confirmed.satisfied();
      cycle.satisfaction_score = confirmed.satisfaction_score();
      if (confirmed.satisfied()) {
        complaint.state = ComplaintState::kClosed;
        break;
      }
      // `cycle` is not used past this point: emplace_back may move it.
      ComplaintCycle& next = complaint.cycles.emplace_back();
      next.started_at_us = at_us;
      next.reply = StartClock(at_us, policy_.reply_working_days());
      complaint.state = ComplaintState::kReopened;
      break;
    }
  }
}

const Complaint* ComplaintProjection::FindComplaint(absl::string_view complaint_id) const {
  auto it = complaints_.find(complaint_id);
  return it == complaints_.end() ? nullptr : &it->second;
}

absl::StatusOr<ComplaintView> ComplaintProjection::ViewAt(absl::string_view complaint_id,
                                                          int64_t as_of_us) const {
  auto it = complaints_.find(complaint_id);
  if (it == complaints_.end()) {
    return absl::NotFoundError(absl::StrCat("complaint ", Quoted(complaint_id), " is not filed"));
  }
  const Complaint& complaint = it->second;
  ComplaintView view;
  view.complaint_id = it->first;
  view.member_id = complaint.member_id;
  view.partner_id = complaint.partner_id;
  view.category = complaint.category;
  view.state = complaint.state;
  view.filed_at_us = complaint.filed_at_us();
  view.cycle_count = static_cast<int32_t>(complaint.cycles.size());
  view.goodwill_points_total = complaint.goodwill_points_total();
  for (const ComplaintCycle& cycle : complaint.cycles) {
    if (cycle.satisfaction_score != 0) view.satisfaction_score = cycle.satisfaction_score;
  }
  ForEachClock(complaint, [&](size_t cycle, ClockKind kind, const SlaClock& clock) {
    view.clocks.push_back(MakeClockView(it->first, complaint, cycle, kind, clock, as_of_us));
  });
  view.as_of_us = as_of_us;
  return view;
}

absl::StatusOr<SlaReport> ComplaintProjection::Report(absl::CivilDay from_day,
                                                      absl::CivilDay to_day,
                                                      int64_t as_of_us) const {
  if (from_day > to_day) {
    return absl::InvalidArgumentError(absl::StrCat("the window starts on ",
                                                   absl::FormatCivilTime(from_day),
                                                   ", after its end ", absl::FormatCivilTime(to_day)));
  }
  SlaReport report;
  report.from_day = from_day;
  report.to_day = to_day;
  report.as_of_us = as_of_us;
  // Named references rather than a structured binding: lambdas below
  // capture them, which clang 14 (the fuzz build's compiler) does not allow
  // for bindings.
  for (const auto& entry : complaints_) {
    const Complaint& complaint = entry.second;
    for (size_t i = 0; i < complaint.cycles.size(); ++i) {
      const absl::CivilDay started = LocalDayOf(complaint.cycles[i].started_at_us);
      if (started < from_day || started > to_day) continue;
      ++report.cycles;
      if (i > 0) ++report.reopens;
    }
    ForEachClock(complaint, [&](size_t cycle, ClockKind kind, const SlaClock& clock) {
      const absl::CivilDay started = LocalDayOf(complaint.cycles[cycle].started_at_us);
      if (started < from_day || started > to_day) return;
      const ClockStatus status = clock.StatusAt(as_of_us);
      report.all.Add(status);
      (kind == ClockKind::kReply ? report.reply : report.notification).Add(status);
      if (clock.due_at_us.has_value()) {
        report.by_due_month[absl::CivilMonth(LocalDayOf(*clock.due_at_us))].Add(status);
      }
      report.by_partner[complaint.partner_id].Add(status);
      report.by_category[complaint.category].Add(status);
    });
  }
  return report;
}

absl::btree_map<std::string, SlaCounts> ComplaintProjection::CountsByPartner(
    int64_t as_of_us) const {
  absl::btree_map<std::string, SlaCounts> counts;
  for (const auto& [complaint_id, complaint] : complaints_) {
    SlaCounts& partner = counts[complaint.partner_id];
    ForEachClock(complaint, [&](size_t, ClockKind, const SlaClock& clock) {
      partner.Add(clock.StatusAt(as_of_us));
    });
  }
  return counts;
}

std::vector<ClockView> ComplaintProjection::OpenClocks(int64_t as_of_us, size_t limit) const {
  std::vector<ClockView> open;
  for (const auto& entry : complaints_) {  // named: captured below (clang 14)
    const std::string& complaint_id = entry.first;
    const Complaint& complaint = entry.second;
    ForEachClock(complaint, [&](size_t cycle, ClockKind kind, const SlaClock& clock) {
      if (clock.done_at_us.has_value()) return;
      open.push_back(MakeClockView(complaint_id, complaint, cycle, kind, clock, as_of_us));
    });
  }
  std::sort(open.begin(), open.end(), [](const ClockView& a, const ClockView& b) {
    const bool a_unknown = !a.clock.due_at_us.has_value();
    const bool b_unknown = !b.clock.due_at_us.has_value();
    if (a_unknown != b_unknown) return b_unknown;
    if (!a_unknown && *a.clock.due_at_us != *b.clock.due_at_us) {
      return *a.clock.due_at_us < *b.clock.due_at_us;
    }
    return std::tie(a.complaint_id, a.cycle, a.kind) < std::tie(b.complaint_id, b.cycle, b.kind);
  });
  if (open.size() > limit) open.resize(limit);
  return open;
}

}  // namespace loyalty::projections
