// What the engine counts (EngineMetrics in include/loyalty/metrics.h):
// commands by kind, their latency, and how far the live projections are
// behind the log.
#ifndef LOYALTY_ENGINE_ENGINE_METRICS_H_
#define LOYALTY_ENGINE_ENGINE_METRICS_H_

#include <array>
#include <cstdint>
#include <vector>

#include "loyalty/commands.h"
#include "loyalty/metrics.h"
#include "util/metrics.h"

namespace loyalty::internal {

// engine.cc times its commands and catch-ups with this stopwatch.
using util::Stopwatch;

// Every command Engine::Execute takes, in the order EngineMetrics lists
// them. A new command gets a kind here and a name in engine_metrics.cc.
enum class CommandKind {
  kEnrolMember,
  kEraseMember,
  kRecordPurchase,
  kRecordRefund,
  kRedeem,
  kAdjust,
  kGrantBirthdayBonuses,
  kSetPolicy,
  kFileComplaint,
  kReplyToComplaint,
  kStartInvestigation,
  kResolveComplaint,
  kNotifyCustomer,
  kConfirmResolution,
  kDeclareCalendarDays,
  kRecordSurvey,
};
inline constexpr size_t kCommandKinds = 16;

// The projections the engine keeps (ProjectionSet), for their anomaly gauges.
inline constexpr size_t kProjections = 6;

constexpr CommandKind KindOf(const EnrolMember&) { return CommandKind::kEnrolMember; }
constexpr CommandKind KindOf(const EraseMember&) { return CommandKind::kEraseMember; }
constexpr CommandKind KindOf(const RecordPurchase&) { return CommandKind::kRecordPurchase; }
constexpr CommandKind KindOf(const RecordRefund&) { return CommandKind::kRecordRefund; }
constexpr CommandKind KindOf(const Redeem&) { return CommandKind::kRedeem; }
constexpr CommandKind KindOf(const Adjust&) { return CommandKind::kAdjust; }
constexpr CommandKind KindOf(const GrantBirthdayBonuses&) {
  return CommandKind::kGrantBirthdayBonuses;
}
constexpr CommandKind KindOf(const SetPolicy&) { return CommandKind::kSetPolicy; }
constexpr CommandKind KindOf(const FileComplaint&) { return CommandKind::kFileComplaint; }
constexpr CommandKind KindOf(const ReplyToComplaint&) { return CommandKind::kReplyToComplaint; }
constexpr CommandKind KindOf(const StartInvestigation&) {
  return CommandKind::kStartInvestigation;
}
constexpr CommandKind KindOf(const ResolveComplaint&) { return CommandKind::kResolveComplaint; }
constexpr CommandKind KindOf(const NotifyCustomer&) { return CommandKind::kNotifyCustomer; }
constexpr CommandKind KindOf(const ConfirmResolution&) {
  return CommandKind::kConfirmResolution;
}
constexpr CommandKind KindOf(const DeclareCalendarDays&) {
  return CommandKind::kDeclareCalendarDays;
}
constexpr CommandKind KindOf(const RecordSurvey&) { return CommandKind::kRecordSurvey; }

// Thread-safe without a lock: every member is an atomic.
class EngineCounters {
 public:
  EngineCounters();

  // A command of `kind` that returned (`ok` or not) after `latency_us`.
  void CommandDone(CommandKind kind, bool ok, int64_t latency_us);
  // The live projections applied events up to `applied_sequence`, of which
  // `events` are new (0 when a catch-up found nothing to apply); `at_head`
  // when that is the head the catch-up saw.
  void Applied(uint64_t applied_sequence, uint64_t events, bool at_head);
  void CheckpointSaved() { checkpoints_.Increment(); }
  void CheckpointSetAside() { checkpoints_set_aside_.Increment(); }
  void ErasureCompletedOnOpen() { erasures_completed_on_open_.Increment(); }
  // A Member() answer replayed `member_events` of the member's stream,
  // from a snapshot or from the stream's start.
  void MemberReplayed(bool from_snapshot, uint64_t member_events) {
    member_replays_.Increment();
    if (from_snapshot) member_replays_from_snapshot_.Increment();
    member_replayed_events_.Add(member_events);
  }
  void CaughtUpOnOpen(uint64_t events, int64_t duration_us) {
    catch_up_events_on_open_.Set(static_cast<int64_t>(events));
    catch_up_on_open_us_.Set(duration_us);
  }
  // The anomalies the live projections hold now, per projection (those of
  // ProjectionSet::AnomalyCounts; a name it does not know is left out).
  void AnomaliesHeld(const std::vector<ProjectionAnomalies>& counts);

  // The counters, with the lag against `head_sequence`.
  EngineMetrics Snapshot(uint64_t head_sequence) const;

 private:
  std::array<util::Counter, kCommandKinds> executed_;
  std::array<util::Counter, kCommandKinds> rejected_;
  util::LatencyHistogram command_latency_us_{util::kLatencyBoundsUs};
  util::Gauge applied_sequence_;
  util::Counter events_applied_;
  util::Gauge last_apply_at_us_;      // MonotonicMicros() of the last event applied
  util::Gauge last_at_head_at_us_;    // MonotonicMicros() when last seen at the head
  util::Counter checkpoints_;
  util::Counter checkpoints_set_aside_;
  util::Counter erasures_completed_on_open_;
  util::Gauge catch_up_events_on_open_;
  util::Gauge catch_up_on_open_us_;
  util::Counter member_replays_;
  util::Counter member_replays_from_snapshot_;
  util::Counter member_replayed_events_;
  // By kProjectionNames in engine_metrics.cc.
  std::array<util::Gauge, kProjections> anomalies_;
};

}  // namespace loyalty::internal

#endif  // LOYALTY_ENGINE_ENGINE_METRICS_H_
