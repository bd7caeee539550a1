#include "engine/engine_metrics.h"

#include <algorithm>

namespace loyalty::internal {
namespace {

// Snake case of the command types, as the metrics label them.
constexpr std::array<const char*, kCommandKinds> kCommandKindNames = {
    "enrol_member",         "erase_member",        "record_purchase",   "record_refund",
    "redeem",               "adjust",              "grant_birthday_bonuses", "set_policy",
    "file_complaint",       "reply_to_complaint",  "start_investigation",    "resolve_complaint",
    "notify_customer",      "confirm_resolution",  "declare_calendar_days",  "record_survey",
};
static_assert(static_cast<size_t>(CommandKind::kRecordSurvey) + 1 == kCommandKinds);

// The projections' names, as ProjectionSet::AnomalyCounts lists them.
constexpr std::array<const char*, kProjections> kProjectionNames = {
    "balances", "calendar", "complaints", "partners", "policies", "tiers",
};

}  // namespace

EngineCounters::EngineCounters() {
  const int64_t now_us = util::MonotonicMicros();
  last_apply_at_us_.Set(now_us);
  last_at_head_at_us_.Set(now_us);
}

void EngineCounters::CommandDone(CommandKind kind, bool ok, int64_t latency_us) {
  const auto index = static_cast<size_t>(kind);
  (ok ? executed_ : rejected_)[index].Increment();
  command_latency_us_.Observe(latency_us);
}

void EngineCounters::Applied(uint64_t applied_sequence, uint64_t events, bool at_head) {
  const int64_t now_us = util::MonotonicMicros();
  if (events > 0) {
    events_applied_.Add(events);
    last_apply_at_us_.Set(now_us);
  }
  applied_sequence_.Set(static_cast<int64_t>(applied_sequence));
  if (at_head) last_at_head_at_us_.Set(now_us);
}

void EngineCounters::AnomaliesHeld(const std::vector<ProjectionAnomalies>& counts) {
  for (const ProjectionAnomalies& count : counts) {
    for (size_t i = 0; i < kProjections; ++i) {
      if (count.projection == kProjectionNames[i]) {
        anomalies_[i].Set(static_cast<int64_t>(count.anomalies));
      }
    }
  }
}

EngineMetrics EngineCounters::Snapshot(uint64_t head_sequence) const {
  EngineMetrics metrics;
  metrics.commands.reserve(kCommandKinds);
  for (size_t i = 0; i < kCommandKinds; ++i) {
    metrics.commands.push_back({kCommandKindNames[i], executed_[i].Value(), rejected_[i].Value()});
  }
  metrics.command_latency_us = command_latency_us_.Snapshot();
  const int64_t now_us = util::MonotonicMicros();
  metrics.applied_sequence = static_cast<uint64_t>(applied_sequence_.Value());
  metrics.projection_lag_events =
      head_sequence > metrics.applied_sequence ? head_sequence - metrics.applied_sequence : 0;
  metrics.projection_lag_us =
      metrics.projection_lag_events == 0 ? 0
                                         : std::max<int64_t>(0, now_us - last_at_head_at_us_.Value());
  metrics.since_last_apply_us = std::max<int64_t>(0, now_us - last_apply_at_us_.Value());
  metrics.events_applied_total = events_applied_.Value();
  metrics.checkpoints_total = checkpoints_.Value();
  metrics.checkpoints_set_aside_total = checkpoints_set_aside_.Value();
  metrics.erasures_completed_on_open_total = erasures_completed_on_open_.Value();
  metrics.catch_up_events_on_open = static_cast<uint64_t>(catch_up_events_on_open_.Value());
  metrics.catch_up_on_open_us = catch_up_on_open_us_.Value();
  metrics.member_replays_total = member_replays_.Value();
  metrics.member_replays_from_snapshot_total = member_replays_from_snapshot_.Value();
  metrics.member_replayed_events_total = member_replayed_events_.Value();
  for (size_t i = 0; i < kProjections; ++i) {
    metrics.anomalies_by_projection.push_back(
        {kProjectionNames[i], static_cast<uint64_t>(anomalies_[i].Value())});
  }
  return metrics;
}

}  // namespace loyalty::internal
