// loyalty metrics — counters and histograms of a running ledger and engine.
//
// Ledger::Metrics() and Engine::Metrics() return a snapshot of what the
// process has done since the ledger or engine was opened: appends, events,
// group commits, fsyncs, commands, the projections' lag. Counters only grow
// while it stays open; they start from zero at every open. ToPrometheusText()
// renders a snapshot in the Prometheus text exposition format (version
// 0.0.4) for a scrape endpoint, a log line or `loyalty metrics`
// (docs/embedding.md, "Metrics", lists every metric).
//
// Cost: the counters are relaxed atomics, updated without a lock on the
// append path; taking a snapshot reads each of them once (and asks RocksDB
// for its storage figures) and never blocks an append or a command. A
// snapshot is not a transaction: two of its numbers may be a few appends
// apart when appends run while it is taken.
//
// Units: in these structs, durations are microseconds (names end in _us) and
// sizes bytes or events. The Prometheus text states durations in seconds, as
// Prometheus' conventions ask (names end in _seconds, bucket bounds `le` in
// seconds).
#ifndef LOYALTY_METRICS_H_
#define LOYALTY_METRICS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace loyalty {

// A histogram of observations with fixed, explicit bucket bounds.
struct HistogramSnapshot {
  // Inclusive upper bounds, ascending: bucket i counts the observations v
  // with upper_bounds[i-1] < v <= upper_bounds[i]. In the histogram's unit
  // (microseconds or events).
  std::vector<int64_t> upper_bounds;
  // One count per bucket, not cumulative; one more than upper_bounds: the
  // last counts the observations above every bound.
  std::vector<uint64_t> bucket_counts;
  // The number of observations (the sum of bucket_counts) and their sum.
  uint64_t count = 0;
  int64_t sum = 0;
};

// Appends that failed with one status code.
struct ErrorCount {
  absl::StatusCode code = absl::StatusCode::kUnknown;
  uint64_t count = 0;
};

struct LedgerMetrics {
  // Append calls that returned OK, retries answered from the idempotency
  // index included; and of those, the retries (which wrote nothing).
  uint64_t appends_total = 0;
  uint64_t appends_deduplicated_total = 0;
  // Events written by those appends (retries add none).
  uint64_t events_appended_total = 0;
  // Append calls that returned an error, by code (only codes seen, in code
  // order) and in all. A failed append counts here and nowhere else.
  std::vector<ErrorCount> append_errors_by_code;
  uint64_t append_errors_total = 0;
  // Events per append that wrote (so its sum is events_appended_total).
  HistogramSnapshot append_batch_events;
  // From the call to Append to its OK return: validation, the wait in the
  // group-commit queue, the write and (with `sync`) the fsync.
  HistogramSnapshot append_latency_us;

  // Group commits: RocksDB writes, each carrying the batches of every
  // appender waiting at the time; their sizes in events; and the bytes of
  // the write batches handed to RocksDB (events, indexes and head).
  uint64_t group_commits_total = 0;
  HistogramSnapshot group_commit_events;
  uint64_t bytes_written_total = 0;

  // Syncs of the write-ahead log that acknowledged appends (LedgerOptions::
  // sync on; none with it off): each covers one or more group commits.
  uint64_t wal_syncs_total = 0;
  HistogramSnapshot wal_sync_latency_us;

  // The published head.
  uint64_t head_sequence = 0;

  // Storage, read at snapshot time: the ledger directory's files (the
  // projections' checkpoint under it included, when an engine keeps it
  // there), RocksDB's table files of the log and its memtables.
  uint64_t directory_bytes = 0;
  uint64_t sst_files_bytes = 0;
  uint64_t memtable_bytes = 0;
};

// Commands of one kind through Engine::Execute.
struct CommandMetrics {
  // The command's type in snake case: "record_purchase", "redeem", ...
  std::string kind;
  // Returned OK (retries of recorded commands included) / an error.
  uint64_t executed_total = 0;
  uint64_t rejected_total = 0;
};

// The anomalies one live projection holds (Engine::Anomalies).
struct ProjectionAnomalies {
  std::string projection;  // e.g. "balances"
  uint64_t anomalies = 0;
};

struct EngineMetrics {
  // Every command kind, in a fixed order, zeros included.
  std::vector<CommandMetrics> commands;
  // From the call to Execute to its return, whatever the outcome.
  HistogramSnapshot command_latency_us;

  // The last sequence applied to the live projections, and how far they
  // are behind the ledger's head (appends not yet applied: the engine
  // applies them before the next command or query).
  uint64_t applied_sequence = 0;
  uint64_t projection_lag_events = 0;
  // 0 while the projections are at the head; otherwise how long since they
  // last were.
  int64_t projection_lag_us = 0;
  // How long since the projections last applied an event (since the open
  // when none yet).
  int64_t since_last_apply_us = 0;

  // Events applied to the live projections since the open, catch-up
  // included; checkpoints saved.
  uint64_t events_applied_total = 0;
  uint64_t checkpoints_total = 0;
  // What the open replayed after the checkpoint to reach the head, and how
  // long that took.
  uint64_t catch_up_events_on_open = 0;
  int64_t catch_up_on_open_us = 0;
  // Repairs of derived data the open made on its own (each also reported
  // through EngineOptions::notice): projection checkpoints set aside as
  // damaged or not this log's, then rebuilt from the log; erasures left
  // half done by a crash, completed.
  uint64_t checkpoints_set_aside_total = 0;
  uint64_t erasures_completed_on_open_total = 0;

  // Member() answers computed by a replay of the member's stream (those as
  // of a point before the member's latest event, or before a later policy
  // change); how many of them started from a member snapshot; and the
  // member events they applied.
  uint64_t member_replays_total = 0;
  uint64_t member_replays_from_snapshot_total = 0;
  uint64_t member_replayed_events_total = 0;

  // Events the live projections applied only as far as a rule of the domain
  // allowed (Engine::Anomalies), per projection, by projection name, zeros
  // included. A gauge: it only grows with the log, and a rebuild finds the
  // same.
  std::vector<ProjectionAnomalies> anomalies_by_projection;
};

struct MetricsSnapshot {
  LedgerMetrics ledger;
  // Set by Engine::Metrics(); absent for a bare ledger.
  std::optional<EngineMetrics> engine;
};

// The snapshot in the Prometheus text exposition format: for each metric a
// `# HELP` and a `# TYPE` line (counter, gauge or histogram), then its
// samples; names start with `loyalty_`; histograms have cumulative
// `_bucket{le="..."}` samples ending with le="+Inf", `_sum` and `_count`.
// Durations are in seconds. Ends with a newline.
std::string ToPrometheusText(const MetricsSnapshot& snapshot);

}  // namespace loyalty

#endif  // LOYALTY_METRICS_H_
