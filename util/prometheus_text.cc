// ToPrometheusText (include/loyalty/metrics.h): the Prometheus text
// exposition format, version 0.0.4.
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "loyalty/metrics.h"

namespace loyalty {
namespace {

// Microseconds as seconds in exact decimal ("0.00025", "12", "-0.5"):
// integer arithmetic, so bucket bounds print the same everywhere.
std::string Seconds(int64_t micros) {
  const bool negative = micros < 0;
  const uint64_t magnitude =
      negative ? static_cast<uint64_t>(-(micros + 1)) + 1 : static_cast<uint64_t>(micros);
  std::string text = absl::StrCat(negative ? "-" : "", magnitude / 1000000);
  uint64_t fraction = magnitude % 1000000;
  if (fraction != 0) {
    std::string digits = absl::StrCat(fraction + 1000000).substr(1);  // six digits
    while (digits.back() == '0') digits.pop_back();
    absl::StrAppend(&text, ".", digits);
  }
  return text;
}

enum class Unit { kCount, kMicrosAsSeconds };

class Writer {
 public:
  void Header(absl::string_view name, absl::string_view type, absl::string_view help) {
    absl::StrAppend(&text_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
  }
  void Sample(absl::string_view name, absl::string_view labels, absl::string_view value) {
    absl::StrAppend(&text_, name, labels.empty() ? "" : "{", labels, labels.empty() ? "" : "}",
                    " ", value, "\n");
  }
  void Counter(absl::string_view name, absl::string_view help, uint64_t value) {
    Header(name, "counter", help);
    Sample(name, "", absl::StrCat(value));
  }
  void Gauge(absl::string_view name, absl::string_view help, uint64_t value) {
    Header(name, "gauge", help);
    Sample(name, "", absl::StrCat(value));
  }
  void SecondsGauge(absl::string_view name, absl::string_view help, int64_t micros) {
    Header(name, "gauge", help);
    Sample(name, "", Seconds(micros));
  }
  void Histogram(absl::string_view name, absl::string_view help, const HistogramSnapshot& h,
                 Unit unit) {
    Header(name, "histogram", help);
    auto value = [unit](int64_t v) {
      return unit == Unit::kMicrosAsSeconds ? Seconds(v) : absl::StrCat(v);
    };
    const std::string bucket = absl::StrCat(name, "_bucket");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h.upper_bounds.size() && i < h.bucket_counts.size(); ++i) {
      cumulative += h.bucket_counts[i];
      Sample(bucket, absl::StrCat("le=\"", value(h.upper_bounds[i]), "\""),
             absl::StrCat(cumulative));
    }
    // +Inf is the count, so the buckets end where _count does.
    Sample(bucket, "le=\"+Inf\"", absl::StrCat(h.count));
    Sample(absl::StrCat(name, "_sum"), "", value(h.sum));
    Sample(absl::StrCat(name, "_count"), "", absl::StrCat(h.count));
  }
  std::string Take() { return std::move(text_); }

 private:
  std::string text_;
};

void WriteLedger(const LedgerMetrics& m, Writer& out) {
  out.Counter("loyalty_ledger_appends_total",
              "Appends acknowledged OK since the ledger opened, retries included.",
              m.appends_total);
  out.Counter("loyalty_ledger_appends_deduplicated_total",
              "Appends answered as retries of earlier ones: nothing written.",
              m.appends_deduplicated_total);
  out.Counter("loyalty_ledger_events_appended_total", "Events written by appends.",
              m.events_appended_total);
  out.Header("loyalty_ledger_append_errors_total", "counter",
             "Appends that failed, by status code (codes never seen are absent).");
  for (const ErrorCount& error : m.append_errors_by_code) {
    out.Sample("loyalty_ledger_append_errors_total",
               absl::StrCat("code=\"", absl::StatusCodeToString(error.code), "\""),
               absl::StrCat(error.count));
  }
  out.Histogram("loyalty_ledger_append_batch_size_events", "Events per append that wrote.",
                m.append_batch_events, Unit::kCount);
  out.Histogram("loyalty_ledger_append_latency_seconds",
                "From Append's call to its OK return: queue, write and fsync.",
                m.append_latency_us, Unit::kMicrosAsSeconds);
  out.Counter("loyalty_ledger_group_commits_total",
              "RocksDB writes, each carrying the batches of the appenders waiting.",
              m.group_commits_total);
  out.Histogram("loyalty_ledger_group_commit_size_events", "Events per group commit.",
                m.group_commit_events, Unit::kCount);
  out.Counter("loyalty_ledger_written_bytes_total",
              "Bytes of the write batches handed to RocksDB.", m.bytes_written_total);
  out.Counter("loyalty_ledger_wal_syncs_total",
              "Syncs (fsync) of the write-ahead log that acknowledged appends.",
              m.wal_syncs_total);
  out.Histogram("loyalty_ledger_wal_sync_latency_seconds", "Duration of each sync.",
                m.wal_sync_latency_us, Unit::kMicrosAsSeconds);
  out.Gauge("loyalty_ledger_head_sequence", "Sequence of the newest published event.",
            m.head_sequence);
  out.Gauge("loyalty_ledger_directory_bytes",
            "Size of the files in the ledger directory, projections checkpoint included.",
            m.directory_bytes);
  out.Gauge("loyalty_ledger_sst_files_bytes", "Size of RocksDB's table files of the log.",
            m.sst_files_bytes);
  out.Gauge("loyalty_ledger_memtable_bytes", "Size of RocksDB's memtables of the log.",
            m.memtable_bytes);
}

void WriteEngine(const EngineMetrics& m, Writer& out) {
  out.Header("loyalty_engine_commands_executed_total", "counter",
             "Commands that returned OK, by kind.");
  for (const CommandMetrics& command : m.commands) {
    out.Sample("loyalty_engine_commands_executed_total",
               absl::StrCat("kind=\"", command.kind, "\""), absl::StrCat(command.executed_total));
  }
  out.Header("loyalty_engine_commands_rejected_total", "counter",
             "Commands that returned an error (nothing appended), by kind.");
  for (const CommandMetrics& command : m.commands) {
    out.Sample("loyalty_engine_commands_rejected_total",
               absl::StrCat("kind=\"", command.kind, "\""), absl::StrCat(command.rejected_total));
  }
  out.Histogram("loyalty_engine_command_latency_seconds",
                "From Execute's call to its return, whatever the outcome.", m.command_latency_us,
                Unit::kMicrosAsSeconds);
  out.Gauge("loyalty_engine_applied_sequence",
            "Last sequence applied to the live projections.", m.applied_sequence);
  out.Gauge("loyalty_engine_projection_lag_events",
            "Events appended but not yet applied to the live projections.",
            m.projection_lag_events);
  out.SecondsGauge("loyalty_engine_projection_lag_seconds",
                   "0 while the projections are at the head, else how long since they were.",
                   m.projection_lag_us);
  out.SecondsGauge("loyalty_engine_last_apply_age_seconds",
                   "Time since the projections last applied an event (or since the open).",
                   m.since_last_apply_us);
  out.Counter("loyalty_engine_events_applied_total",
              "Events applied to the live projections since the open.", m.events_applied_total);
  out.Counter("loyalty_engine_checkpoints_total", "Projection checkpoints saved.",
              m.checkpoints_total);
  out.Counter("loyalty_engine_checkpoints_set_aside_total",
              "Projection checkpoints set aside at open (damaged, or not this log's) and rebuilt "
              "from the log.",
              m.checkpoints_set_aside_total);
  out.Counter("loyalty_engine_erasures_completed_on_open_total",
              "Erasures a crash left half done, completed at open.",
              m.erasures_completed_on_open_total);
  out.Gauge("loyalty_engine_catch_up_on_open_events",
            "Events the open replayed after the checkpoint to reach the head.",
            m.catch_up_events_on_open);
  out.SecondsGauge("loyalty_engine_catch_up_on_open_seconds",
                   "How long the open's catch-up took.", m.catch_up_on_open_us);
  out.Counter("loyalty_engine_member_replays_total",
              "Member queries answered by a replay of the member's stream.",
              m.member_replays_total);
  out.Counter("loyalty_engine_member_replays_from_snapshot_total",
              "Member replays that started from a member snapshot.",
              m.member_replays_from_snapshot_total);
  out.Counter("loyalty_engine_member_replayed_events_total",
              "Member events applied by member replays.", m.member_replayed_events_total);
  out.Header("loyalty_projection_anomalies", "gauge",
             "Events each live projection applied only as far as a rule allowed "
             "(loyalty anomalies lists them).");
  for (const ProjectionAnomalies& projection : m.anomalies_by_projection) {
    out.Sample("loyalty_projection_anomalies",
               absl::StrCat("projection=\"", projection.projection, "\""),
               absl::StrCat(projection.anomalies));
  }
}

}  // namespace

std::string ToPrometheusText(const MetricsSnapshot& snapshot) {
  Writer out;
  WriteLedger(snapshot.ledger, out);
  if (snapshot.engine.has_value()) WriteEngine(*snapshot.engine, out);
  return out.Take();
}

}  // namespace loyalty
