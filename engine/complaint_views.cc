#include "engine/complaint_views.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "projections/local_time.h"

namespace loyalty::internal {
namespace {

using projections::ClockKind;
using projections::ClockStatus;
using projections::SlaClock;
using projections::SlaCounts;

ComplaintState StateView(projections::ComplaintState state) {
  switch (state) {
    case projections::ComplaintState::kFiled:
      return ComplaintState::kFiled;
    case projections::ComplaintState::kReplied:
      return ComplaintState::kReplied;
    case projections::ComplaintState::kInvestigating:
      return ComplaintState::kInvestigating;
    case projections::ComplaintState::kResolved:
      return ComplaintState::kResolved;
    case projections::ComplaintState::kNotified:
      return ComplaintState::kCustomerNotified;
    case projections::ComplaintState::kClosed:
      return ComplaintState::kClosed;
    case projections::ComplaintState::kReopened:
      return ComplaintState::kReopened;
  }
  return ComplaintState::kFiled;
}

SlaClockStatus StatusView(ClockStatus status) {
  switch (status) {
    case ClockStatus::kPending:
      return SlaClockStatus::kPending;
    case ClockStatus::kMet:
      return SlaClockStatus::kMet;
    case ClockStatus::kBreached:
      return SlaClockStatus::kBreached;
    case ClockStatus::kDueUnknown:
      return SlaClockStatus::kDueUnknown;
  }
  return SlaClockStatus::kDueUnknown;
}

SlaClockKind KindView(ClockKind kind) {
  return kind == ClockKind::kReply ? SlaClockKind::kReply : SlaClockKind::kNotification;
}

SlaClockView ClockView(ClockKind kind, const SlaClock& clock, int64_t as_of_us) {
  SlaClockView view;
  view.kind = KindView(kind);
  view.started_at_us = clock.started_at_us;
  view.working_days = clock.working_days;
  view.due_at_us = clock.due_at_us.value_or(0);
  view.missing_calendar_year = clock.missing_calendar_year;
  view.done_at_us = clock.done_at_us.value_or(0);
  view.status = StatusView(clock.StatusAt(as_of_us));
  return view;
}

SlaCountsView CountsView(const SlaCounts& counts) {
  SlaCountsView view;
  view.met = counts.met;
  view.breached = counts.breached;
  view.pending = counts.pending;
  view.due_unknown = counts.due_unknown;
  view.compliance_bp = counts.compliance_bp().value_or(-1);
  return view;
}

// The clocks of one group, all and by kind.
struct Group {
  SlaCounts all;
  SlaCounts reply;
  SlaCounts notification;

  void Add(ClockKind kind, ClockStatus status) {
    all.Add(status);
    (kind == ClockKind::kReply ? reply : notification).Add(status);
  }
};

SlaGroupView GroupView(std::string key, const Group& group) {
  return {std::move(key), CountsView(group.all), CountsView(group.reply),
          CountsView(group.notification)};
}

// floor(a / b) for b > 0.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b < 0 ? 1 : 0); }

// An open clock found in the pass, turned into a view only if listed.
struct OpenClock {
  const std::string* complaint_id;
  const projections::Complaint* complaint;
  int32_t cycle;  // 1, 2, ...
  ClockKind kind;
  const SlaClock* clock;
};

// Nearest deadline first; unknown deadlines last; then complaint, cycle,
// reply before notification (ComplaintProjection::OpenClocks's order).
bool NearerDeadline(const OpenClock& a, const OpenClock& b) {
  const bool a_unknown = !a.clock->due_at_us.has_value();
  const bool b_unknown = !b.clock->due_at_us.has_value();
  if (a_unknown != b_unknown) return b_unknown;
  if (!a_unknown && *a.clock->due_at_us != *b.clock->due_at_us) {
    return *a.clock->due_at_us < *b.clock->due_at_us;
  }
  return std::tie(*a.complaint_id, a.cycle, a.kind) < std::tie(*b.complaint_id, b.cycle, b.kind);
}

}  // namespace

absl::StatusOr<ComplaintView> MakeComplaintView(const projections::ComplaintProjection& complaints,
                                                absl::string_view complaint_id, int64_t as_of_us) {
  const projections::Complaint* complaint = complaints.FindComplaint(complaint_id);
  if (complaint == nullptr) {
    return absl::NotFoundError(absl::StrCat("complaint_id: \"", complaint_id, "\" is not filed"));
  }
  ComplaintView view;
  view.complaint_id = std::string(complaint_id);
  view.member_id = complaint->member_id;
  view.partner_id = complaint->partner_id;
  view.category = complaint->category;
  view.channel = complaint->channel;
  view.state = StateView(complaint->state);
  view.filed_at_us = complaint->filed_at_us();
  view.goodwill_points_total = complaint->goodwill_points_total();
  for (size_t i = 0; i < complaint->cycles.size(); ++i) {
    const projections::ComplaintCycle& cycle = complaint->cycles[i];
    ComplaintCycleView& out = view.cycles.emplace_back();
    out.cycle = static_cast<int32_t>(i + 1);
    out.started_at_us = cycle.started_at_us;
    out.reply = ClockView(ClockKind::kReply, cycle.reply, as_of_us);
    out.investigation_started_at_us = cycle.investigation_started_at_us.value_or(0);
    out.resolved_at_us = cycle.resolved_at_us.value_or(0);
    out.resolution = cycle.resolution;
    out.goodwill_points = cycle.goodwill_points;
    out.has_notification = cycle.notification.has_value();
    if (cycle.notification.has_value()) {
      out.notification = ClockView(ClockKind::kNotification, *cycle.notification, as_of_us);
    }
    out.confirmed_at_us = cycle.confirmed_at_us.value_or(0);
    out.satisfied = cycle.satisfied;
    out.satisfaction_score = cycle.satisfaction_score;
    if (cycle.satisfaction_score != 0) view.satisfaction_score = cycle.satisfaction_score;
  }
  view.as_of_us = as_of_us;
  return view;
}

absl::Status CheckSlaWindow(absl::CivilDay from_day, absl::CivilDay to_day) {
  if (from_day <= to_day) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("the window starts on ",
                                                 absl::FormatCivilTime(from_day),
                                                 ", after its end ", absl::FormatCivilTime(to_day)));
}

absl::StatusOr<SlaReportView> MakeSlaReportView(const projections::ComplaintProjection& complaints,
                                                absl::CivilDay from_day, absl::CivilDay to_day,
                                                int64_t as_of_us, size_t open_clocks_max) {
  absl::Status window = CheckSlaWindow(from_day, to_day);
  if (!window.ok()) return window;
  SlaReportView view;
  view.from_day = from_day;
  view.to_day = to_day;
  view.as_of_us = as_of_us;
  // The window as instants, and the month of each deadline's day cached:
  // civil-time conversions would be most of the pass over a million
  // complaints.
  const int64_t window_first_us = projections::StartOfLocalDayUs(from_day);
  const int64_t window_last_us = projections::EndOfLocalDayUs(to_day);
  Group total;
  std::map<absl::CivilMonth, Group> months;  // node-based: pointers stay valid
  absl::flat_hash_map<int64_t, Group*> month_of_day;  // local day number -> its month
  absl::btree_map<std::string, Group> partners;
  absl::btree_map<std::string, Group> categories;
  std::vector<OpenClock> open;
  auto month_group = [&](int64_t due_at_us) -> Group* {
    const int64_t day_number =
        FloorDiv(due_at_us + projections::kLocalUtcOffsetSeconds * projections::kMicrosPerSecond,
                 projections::kMicrosPerDay);
    Group*& group = month_of_day[day_number];
    if (group == nullptr) {
      group = &months[absl::CivilMonth(absl::CivilDay(1970, 1, 1) + day_number)];
    }
    return group;
  };
  for (const auto& entry : complaints.complaints()) {
    // Named references, not a structured binding: the lambda below captures
    // them, which clang 14 (the fuzz build's compiler) does not allow.
    const std::string& complaint_id = entry.first;
    const auto& complaint = entry.second;
    // Looked up once per complaint, when its first cycle in the window is;
    // used before anything else is added to their maps.
    Group* partner = nullptr;
    Group* category = nullptr;
    auto count = [&](int32_t cycle, ClockKind kind, const SlaClock& clock) {
      const ClockStatus status = clock.StatusAt(as_of_us);
      total.Add(kind, status);
      partner->Add(kind, status);
      category->Add(kind, status);
      if (clock.due_at_us.has_value()) month_group(*clock.due_at_us)->Add(kind, status);
      if (!clock.done_at_us.has_value()) {
        open.push_back({&complaint_id, &complaint, cycle, kind, &clock});
      }
    };
    for (size_t i = 0; i < complaint.cycles.size(); ++i) {
      const projections::ComplaintCycle& cycle = complaint.cycles[i];
      if (cycle.started_at_us < window_first_us || cycle.started_at_us > window_last_us) continue;
      if (partner == nullptr) {
        partner = &partners[complaint.partner_id];
        category = &categories[complaint.category];
      }
      ++view.cycles;
      if (i > 0) ++view.reopens;
      const int32_t number = static_cast<int32_t>(i + 1);
      count(number, ClockKind::kReply, cycle.reply);
      if (cycle.notification.has_value()) {
        count(number, ClockKind::kNotification, *cycle.notification);
      }
    }
  }
  view.total = GroupView("", total);
  for (const auto& [month, group] : months) {
    view.by_due_month.push_back(
        GroupView(absl::StrFormat("%04d-%02d", month.year(), month.month()), group));
  }
  for (const auto& [partner_id, group] : partners) view.by_partner.push_back(GroupView(partner_id, group));
  for (const auto& [name, group] : categories) view.by_category.push_back(GroupView(name, group));
  view.open_clock_count = static_cast<int64_t>(open.size());
  const size_t listed = std::min(open.size(), open_clocks_max);
  std::partial_sort(open.begin(), open.begin() + static_cast<ptrdiff_t>(listed), open.end(),
                    NearerDeadline);
  for (size_t i = 0; i < listed; ++i) {
    const OpenClock& clock = open[i];
    view.open_clocks.push_back({*clock.complaint_id, clock.complaint->partner_id,
                                clock.complaint->category, clock.cycle,
                                ClockView(clock.kind, *clock.clock, as_of_us)});
  }
  return view;
}

}  // namespace loyalty::internal
