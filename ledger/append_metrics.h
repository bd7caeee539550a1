// What RocksDbLedger counts on its append path (LedgerMetrics in
// include/loyalty/metrics.h). Kept apart from the ledger so that the append
// path gains a call at each point it reports, and nothing else.
#ifndef LOYALTY_LEDGER_APPEND_METRICS_H_
#define LOYALTY_LEDGER_APPEND_METRICS_H_

#include <chrono>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loyalty/ledger.h"
#include "loyalty/metrics.h"
#include "util/metrics.h"

namespace loyalty::internal {

class AppendMetrics {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // When an Append call starts.
  static TimePoint Start() { return util::Stopwatch::Now(); }

  // An Append that failed before joining the queue; returns `status`.
  absl::Status Failed(const absl::Status& status) {
    errors_.Count(status.code());
    return status;
  }

  // An Append returning `result`, started at `started`.
  void Finished(TimePoint started, const absl::StatusOr<AppendResult>& result) {
    if (!result.ok()) {
      errors_.Count(result.status().code());
      return;
    }
    appends_.Increment();
    append_latency_us_.Observe(util::Stopwatch::MicrosSince(started));
    if (result->deduplicated) {
      deduplicated_.Increment();
      return;
    }
    events_.Add(result->sequences.size());
    batch_events_.Observe(static_cast<int64_t>(result->sequences.size()));
  }

  // A group commit of `events` new events in a write batch of `bytes`.
  void GroupWritten(uint64_t events, uint64_t bytes) {
    groups_.Increment();
    group_events_.Observe(static_cast<int64_t>(events));
    bytes_written_.Add(bytes);
  }

  // A successful sync of the write-ahead log, started at `started`.
  void Synced(TimePoint started) {
    syncs_.Increment();
    sync_latency_us_.Observe(util::Stopwatch::MicrosSince(started));
  }

  // The counters; the ledger adds the head and the storage figures.
  LedgerMetrics Snapshot() const;

 private:
  util::Counter appends_;
  util::Counter deduplicated_;
  util::Counter events_;
  util::ErrorCounters errors_;
  util::EventCountHistogram batch_events_{util::kEventCountBounds};
  util::LatencyHistogram append_latency_us_{util::kLatencyBoundsUs};
  util::Counter groups_;
  util::EventCountHistogram group_events_{util::kEventCountBounds};
  util::Counter bytes_written_;
  util::Counter syncs_;
  util::LatencyHistogram sync_latency_us_{util::kLatencyBoundsUs};
};

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_APPEND_METRICS_H_
