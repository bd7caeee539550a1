// ComplaintProjection's canonical state: ComplaintProjectionState in
// projection_state.proto.
#include <utility>

#include "absl/strings/str_cat.h"
#include "projections/complaints.h"
#include "projections/restore_parts.h"
#include "loyalty/limits.h"

namespace loyalty::projections {
namespace {

constexpr absl::string_view kName = "complaints";

state::SlaClock ClockToState(const SlaClock& clock) {
  state::SlaClock out;
  out.set_started_at_us(clock.started_at_us);
  out.set_working_days(clock.working_days);
  if (clock.due_at_us.has_value()) out.set_due_at_us(*clock.due_at_us);
  out.set_missing_calendar_year(clock.missing_calendar_year);
  if (clock.done_at_us.has_value()) out.set_done_at_us(*clock.done_at_us);
  return out;
}

SlaClock ClockFromState(const state::SlaClock& in) {
  SlaClock clock;
  clock.started_at_us = in.started_at_us();
  clock.working_days = in.working_days();
  if (in.has_due_at_us()) clock.due_at_us = in.due_at_us();
  clock.missing_calendar_year = in.missing_calendar_year();
  if (in.has_done_at_us()) clock.done_at_us = in.done_at_us();
  return clock;
}

// A clock's invariants: a positive count within the policy limit, and a
// deadline exactly when no year is missing.
bool ClockIsValid(const state::SlaClock& in) {
  return in.working_days() >= 1 && in.working_days() <= kMaxPolicyDays &&
         in.has_due_at_us() == (in.missing_calendar_year() == 0);
}

state::ComplaintCycle CycleToState(const ComplaintCycle& cycle) {
  state::ComplaintCycle out;
  out.set_started_at_us(cycle.started_at_us);
  *out.mutable_reply() = ClockToState(cycle.reply);
  if (cycle.investigation_started_at_us.has_value()) {
    out.set_investigation_started_at_us(*cycle.investigation_started_at_us);
  }
  if (cycle.resolved_at_us.has_value()) out.set_resolved_at_us(*cycle.resolved_at_us);
  out.set_resolution(cycle.resolution);
  out.set_goodwill_points(cycle.goodwill_points);
  if (cycle.notification.has_value()) *out.mutable_notification() = ClockToState(*cycle.notification);
  if (cycle.confirmed_at_us.has_value()) out.set_confirmed_at_us(*cycle.confirmed_at_us);
  out.set_satisfied(cycle.satisfied);
  out.set_satisfaction_score(cycle.satisfaction_score);
  return out;
}

ComplaintCycle CycleFromState(const state::ComplaintCycle& in) {
  ComplaintCycle cycle;
  cycle.started_at_us = in.started_at_us();
  cycle.reply = ClockFromState(in.reply());
  if (in.has_investigation_started_at_us()) {
    cycle.investigation_started_at_us = in.investigation_started_at_us();
  }
  if (in.has_resolved_at_us()) cycle.resolved_at_us = in.resolved_at_us();
  cycle.resolution = in.resolution();
  cycle.goodwill_points = in.goodwill_points();
  if (in.has_notification()) cycle.notification = ClockFromState(in.notification());
  if (in.has_confirmed_at_us()) cycle.confirmed_at_us = in.confirmed_at_us();
  cycle.satisfied = in.satisfied();
  cycle.satisfaction_score = in.satisfaction_score();
  return cycle;
}

bool IsState(int32_t state) {
  return state >= static_cast<int32_t>(ComplaintState::kFiled) &&
         state <= static_cast<int32_t>(ComplaintState::kReopened);
}

// What the state machine guarantees of a stored complaint: every cycle but
// the last ended in a dissatisfied confirmation; the last one has exactly
// the steps its state says were taken.
absl::Status CheckComplaint(const state::Complaint& in) {
  const auto fail = [&](absl::string_view what) {
    return CorruptState(kName, absl::StrCat("complaint \"", in.complaint_id(), "\": ", what));
  };
  if (in.complaint_id().empty() || in.member_id().empty() || in.category().empty()) {
    return fail("an empty id or category");
  }
  if (!IsState(in.state())) return fail(absl::StrCat("state ", in.state()));
  if (in.cycles_size() < 1 || in.cycles_size() > kMaxComplaintCycles) {
    return fail(absl::StrCat(in.cycles_size(), " cycles"));
  }
  for (int i = 0; i < in.cycles_size(); ++i) {
    const state::ComplaintCycle& cycle = in.cycles(i);
    if (!ClockIsValid(cycle.reply()) ||
        (cycle.has_notification() && !ClockIsValid(cycle.notification()))) {
      return fail(absl::StrCat("cycle ", i + 1, " has an invalid clock"));
    }
    if (cycle.goodwill_points() < 0 || cycle.goodwill_points() > kMaxPointsPerEvent ||
        cycle.satisfaction_score() < kNoSatisfactionScore ||
        cycle.satisfaction_score() > kMaxSatisfactionScore) {
      return fail(absl::StrCat("cycle ", i + 1, " has goodwill or a score out of range"));
    }
    if (cycle.has_resolved_at_us() != cycle.has_notification()) {
      return fail(absl::StrCat("cycle ", i + 1, " has a notification clock without resolution"));
    }
    const bool last = i + 1 == in.cycles_size();
    if (!last && (!cycle.has_confirmed_at_us() || cycle.satisfied())) {
      return fail(absl::StrCat("cycle ", i + 1, " is followed by another but was not reopened"));
    }
  }
  const state::ComplaintCycle& last = in.cycles(in.cycles_size() - 1);
  const auto state = static_cast<ComplaintState>(in.state());
  const bool replied = last.reply().has_done_at_us();
  const bool resolved = last.has_resolved_at_us();
  const bool notified = resolved && last.notification().has_done_at_us();
  const bool confirmed = last.has_confirmed_at_us();
  bool consistent = false;
  switch (state) {
    case ComplaintState::kFiled:
    case ComplaintState::kReopened:
      consistent = !replied && !resolved && !confirmed &&
                   (state == ComplaintState::kFiled) == (in.cycles_size() == 1);
      break;
    case ComplaintState::kReplied:
      consistent = replied && !resolved && in.cycles_size() == 1;
      break;
    case ComplaintState::kInvestigating:
      consistent = replied && !resolved;
      break;
    case ComplaintState::kResolved:
      consistent = replied && resolved && !notified;
      break;
    case ComplaintState::kNotified:
      consistent = notified && !confirmed;
      break;
    case ComplaintState::kClosed:
      consistent = notified && confirmed && last.satisfied();
      break;
  }
  if (!consistent) {
    return fail(absl::StrCat("its last cycle does not match its state ",
                             ComplaintStateName(state)));
  }
  return absl::OkStatus();
}

}  // namespace

std::string ComplaintProjection::CanonicalState() const {
  state::ComplaintProjectionState state;
  *state.mutable_header() = position_.ToHeader(kName);
  *state.mutable_policy() = policy_.values();
  *state.mutable_calendar() = calendar_.ToState();
  for (const auto& [complaint_id, complaint] : complaints_) {
    state::Complaint& out = *state.add_complaints();
    out.set_complaint_id(complaint_id);
    out.set_member_id(complaint.member_id);
    out.set_partner_id(complaint.partner_id);
    out.set_category(complaint.category);
    out.set_channel(complaint.channel);
    out.set_state(static_cast<int32_t>(complaint.state));
    for (const ComplaintCycle& cycle : complaint.cycles) *out.add_cycles() = CycleToState(cycle);
    out.set_last_event_at_us(complaint.last_event_at_us);
  }
  SetAnomalies(anomalies_, &state);
  return SerializeDeterministic(state);
}

absl::Status ComplaintProjection::Restore(absl::string_view canonical_state) {
  state::ComplaintProjectionState state;
  ReplayPosition position;
  Policy policy;
  absl::Status status = ParseStateWithPolicy(canonical_state, kName, &state, &position, &policy);
  if (!status.ok()) return status;
  absl::StatusOr<WorkingCalendar> calendar = WorkingCalendar::FromState(state.calendar(), kName);
  if (!calendar.ok()) return calendar.status();
  absl::btree_map<std::string, Complaint> complaints;
  for (const state::Complaint& in : state.complaints()) {
    status = CheckComplaint(in);
    if (!status.ok()) return status;
    if (!complaints.empty() && !(complaints.rbegin()->first < in.complaint_id())) {
      return CorruptState(kName, "the complaints are not sorted by id");
    }
    Complaint complaint;
    complaint.member_id = in.member_id();
    complaint.partner_id = in.partner_id();
    complaint.category = in.category();
    complaint.channel = in.channel();
    complaint.state = static_cast<ComplaintState>(in.state());
    for (const state::ComplaintCycle& cycle : in.cycles()) {
      complaint.cycles.push_back(CycleFromState(cycle));
    }
    complaint.last_event_at_us = in.last_event_at_us();
    complaints.emplace_hint(complaints.end(), in.complaint_id(), std::move(complaint));
  }
  absl::StatusOr<AnomalyLog> anomalies = AnomalyLog::FromState(state.anomalies(), kName);
  if (!anomalies.ok()) return anomalies.status();
  position_ = position;
  policy_ = std::move(policy);
  calendar_ = *std::move(calendar);
  complaints_ = std::move(complaints);
  anomalies_ = *std::move(anomalies);
  return absl::OkStatus();
}

}  // namespace loyalty::projections
