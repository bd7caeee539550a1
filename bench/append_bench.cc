// Append throughput of the ledger beside a raw RocksDB baseline.
//
//   BM_LedgerAppend/batch:B/sync:S      Ledger::Append of batches of B purchase
//                                       events to a fresh ledger, one caller.
//   BM_RawRocksDbAppend/batch:B/sync:S  the same events' canonical bytes, one
//                                       rocksdb::WriteBatch per batch under
//                                       8-byte big-endian sequence keys, into a
//                                       plain RocksDB with the ledger's options.
//   BM_RawRocksDbLedgerLayout/batch:B/sync:S
//                                       context: the keys and values the
//                                       ledger's WriteBatch holds for the same
//                                       events, in its column families, with
//                                       none of the ledger's other work.
//   BM_ConcurrentAppenders/threads:T    T threads appending single-event
//                                       batches, sync on, to one ledger.
//   BM_RawRocksDbConcurrentPuts/threads:T
//                                       T threads doing synced single Puts of
//                                       the same bytes to the raw RocksDB.
//
// The ledger and raw runs of one shape are registered one after the other so
// that they see the same machine state. After the table the binary prints
// the two numbers the throughput goals are stated in (bench/README.md).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "bench/workload.h"
#include "loyalty/ledger.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "testing/temp_dir.h"

namespace loyalty::bench {
namespace {

// Iterations (batches) per single-caller run, fixed so that the ledger and
// the raw baseline write exactly the same events and the binary finishes in
// a few minutes on a small machine.
int64_t BatchIterations(int64_t batch_events, bool sync) {
  if (batch_events == 1) return sync ? 5000 : 50000;
  if (batch_events == 100) return sync ? 1000 : 2000;
  return 200;  // batches of 1000: 200,000 events
}

// The concurrent runs: threads, single-event appends per thread in one
// iteration, iterations.
constexpr int kConcurrentThreads = 64;
constexpr int64_t kConcurrentAppendsPerThread = 100;
constexpr int64_t kConcurrentIterations = 5;

// Every run is repeated and the table shows the mean, median, standard
// deviation and coefficient of variation: the disk and the two cores of a
// shared build machine are noisy, and a cv above a few percent says so.
constexpr int kRepetitions = 3;

// The canonical bytes of at least `count` workload events. Asks for enough
// for every registered run at once (the largest is the batch-1000 runs; the
// layout baseline reads one event past its last), so that the corpus is built
// only once: a few seconds, outside any timed region.
size_t AllRunsEvents() { return static_cast<size_t>(1000 * BatchIterations(1000, true)); }

const std::vector<std::string>& Corpus(size_t count) {
  return CanonicalEvents(std::max(count, AllRunsEvents() + 1));
}

absl::StatusOr<std::unique_ptr<Ledger>> OpenFreshLedger(const testing::TempDir& dir, bool sync) {
  LedgerOptions options;
  options.sync = sync;
  return Ledger::Open(dir.Sub("ledger"), options);
}

int64_t StoredEventBytes(const Ledger& ledger) {
  int64_t bytes = 0;
  absl::Status scanned = ledger.ScanRaw(1, ledger.Head().sequence, [&](const RawEvent& raw) {
    bytes += static_cast<int64_t>(raw.canonical_bytes.size());
    return absl::OkStatus();
  });
  return scanned.ok() ? bytes : 0;
}

// The caller's cost of building envelopes and AppendBatch objects is kept
// out of the timed loop: every batch is built before it starts. What
// Append does with a batch (validate, serialize, hash, look up, write, sync)
// is timed; Append does nothing after it returns.
void BM_LedgerAppend(benchmark::State& state) {
  const int64_t batch_events = state.range(0);
  const bool sync = state.range(1) != 0;
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = OpenFreshLedger(dir, sync);
  if (!ledger.ok()) {
    state.SkipWithError(ledger.status().ToString().c_str());
    return;
  }
  std::vector<AppendBatch> batches;
  batches.reserve(state.max_iterations);
  for (int64_t i = 0; i < static_cast<int64_t>(state.max_iterations); ++i) {
    batches.push_back(PurchaseBatch(i * batch_events, batch_events));
  }

  size_t next = 0;
  for (auto _ : state) {
    absl::StatusOr<AppendResult> appended = (*ledger)->Append(batches[next++]);
    if (!appended.ok()) {
      state.SkipWithError(appended.status().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * batch_events);
  state.SetBytesProcessed(StoredEventBytes(**ledger));
}

// The raw baseline: the canonical bytes the ledger stores for the same
// events, one WriteBatch per batch. Building the WriteBatch is timed, as
// the ledger's is.
void BM_RawRocksDbAppend(benchmark::State& state) {
  const int64_t batch_events = state.range(0);
  const bool sync = state.range(1) != 0;
  const std::vector<std::string>& events =
      Corpus(static_cast<size_t>(state.max_iterations * batch_events));
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<rocksdb::DB>> db = OpenRawDb(dir.Sub("raw"));
  if (!db.ok()) {
    state.SkipWithError(db.status().ToString().c_str());
    return;
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;

  uint64_t next = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    rocksdb::WriteBatch batch;
    for (int64_t i = 0; i < batch_events; ++i, ++next) {
      const std::string& value = events[next];
      batch.Put(SequenceKey(next + 1), value);
      bytes += static_cast<int64_t>(value.size());
    }
    rocksdb::Status status = (*db)->Write(write_options, &batch);
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * batch_events);
  state.SetBytesProcessed(bytes);
}

// Context for the raw baseline: everything the ledger's WriteBatch holds
// for the same events (event bytes followed by the chain hash, stream index
// and idempotency record per event, the head once per batch), in the ledger's
// column families
// with its options, and none of its other work (validation, serialization,
// hashing, lookups). The gap between this and BM_RawRocksDbAppend is the cost
// of the ledger's storage layout; the gap between this and BM_LedgerAppend is
// the ledger's own CPU.
void BM_RawRocksDbLedgerLayout(benchmark::State& state) {
  const int64_t batch_events = state.range(0);
  const bool sync = state.range(1) != 0;
  const size_t count = static_cast<size_t>(state.max_iterations * batch_events);
  const std::vector<std::string>& events = Corpus(count + 1);
  const std::vector<LedgerLayoutRecord>& records =
      LedgerLayoutRecords(std::max(count, AllRunsEvents()));
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<LayoutDb>> opened = OpenLayoutDb(dir.Sub("layout"));
  if (!opened.ok()) {
    state.SkipWithError(opened.status().ToString().c_str());
    return;
  }
  rocksdb::DB& db = *(*opened)->db;
  const std::vector<rocksdb::ColumnFamilyHandle*>& families = (*opened)->families;
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  const std::string head_value(8 + 32 + 8, 'h');

  size_t next = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    rocksdb::WriteBatch batch;
    for (int64_t i = 0; i < batch_events; ++i, ++next) {
      const LedgerLayoutRecord& record = records[next];
      const rocksdb::Slice key(record.sequence_key);
      const rocksdb::Slice value[] = {events[next], record.chain_hash};
      batch.Put(families[1], rocksdb::SliceParts(&key, 1), rocksdb::SliceParts(value, 2));
      batch.Put(families[2], record.stream_key, record.sequence_key);
      batch.Put(families[3], record.idempotency_key, record.idempotency_value);
      bytes += static_cast<int64_t>(events[next].size());
    }
    batch.Put(families[4], "head", head_value);
    rocksdb::Status status = db.Write(write_options, &batch);
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * batch_events);
  state.SetBytesProcessed(bytes);
}

// Starts `threads` threads that each run `body(thread_index)`, releases them
// at once and returns the wall-clock seconds from the release until the last
// one returns. Thread start-up is not in the measured time.
double RunTogether(int threads, const std::function<void(int)>& body) {
  std::latch ready(threads);
  std::latch go(1);
  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      ready.count_down();
      go.wait();
      body(t);
    });
  }
  ready.wait();
  const auto start = std::chrono::steady_clock::now();
  go.count_down();
  for (std::thread& worker : workers) worker.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Remembers the first error of many threads.
class FirstError {
 public:
  void Record(const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    if (message_.empty()) message_ = message;
  }
  std::string Get() {
    std::lock_guard<std::mutex> lock(mu_);
    return message_;
  }

 private:
  std::mutex mu_;
  std::string message_;
};

// Many callers, each appending one event per Append, sync on: what the
// ledger's group commit makes of a busy point-of-sale feed. Manual time: the
// envelopes are built and the threads started before the clock runs.
void BM_ConcurrentAppenders(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const int64_t per_thread = kConcurrentAppendsPerThread;
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<Ledger>> opened = OpenFreshLedger(dir, /*sync=*/true);
  if (!opened.ok()) {
    state.SkipWithError(opened.status().ToString().c_str());
    return;
  }
  Ledger& ledger = **opened;

  uint64_t first_index = 0;
  FirstError error;
  for (auto _ : state) {
    std::vector<std::vector<AppendBatch>> batches(threads);
    for (int t = 0; t < threads; ++t) {
      batches[t].reserve(per_thread);
      for (int64_t k = 0; k < per_thread; ++k) {
        batches[t].push_back(PurchaseBatch(first_index + t * per_thread + k, 1));
      }
    }
    first_index += threads * per_thread;
    state.SetIterationTime(RunTogether(threads, [&](int t) {
      for (const AppendBatch& batch : batches[t]) {
        absl::StatusOr<AppendResult> appended = ledger.Append(batch);
        if (!appended.ok()) {
          error.Record(appended.status().ToString());
          return;
        }
      }
    }));
    if (std::string message = error.Get(); !message.empty()) {
      state.SkipWithError(message.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * threads * per_thread);
  state.SetBytesProcessed(StoredEventBytes(ledger));
  // How well the group commit grouped: events per written group, and per
  // write-ahead-log sync (a sync covers every group written before it).
  const LedgerMetrics metrics = ledger.Metrics();
  const double events = static_cast<double>(metrics.group_commit_events.sum);
  state.counters["events_per_group"] =
      events / static_cast<double>(std::max<uint64_t>(metrics.group_commits_total, 1));
  state.counters["events_per_sync"] =
      events / static_cast<double>(std::max<uint64_t>(metrics.wal_syncs_total, 1));
  state.counters["sync_us"] =
      static_cast<double>(metrics.wal_sync_latency_us.sum) /
      static_cast<double>(std::max<uint64_t>(metrics.wal_sync_latency_us.count, 1));
  state.counters["append_us"] =
      static_cast<double>(metrics.append_latency_us.sum) /
      static_cast<double>(std::max<uint64_t>(metrics.append_latency_us.count, 1));
}

// The same number of synced single-event writes straight to RocksDB, whose
// own write queue groups concurrent writers into one WAL sync.
void BM_RawRocksDbConcurrentPuts(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const int64_t per_thread = kConcurrentAppendsPerThread;
  const std::vector<std::string>& events =
      Corpus(static_cast<size_t>(state.max_iterations * threads * per_thread));
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<rocksdb::DB>> opened = OpenRawDb(dir.Sub("raw"));
  if (!opened.ok()) {
    state.SkipWithError(opened.status().ToString().c_str());
    return;
  }
  rocksdb::DB& db = **opened;
  rocksdb::WriteOptions write_options;
  write_options.sync = true;

  uint64_t first_index = 0;
  int64_t bytes = 0;
  FirstError error;
  for (auto _ : state) {
    state.SetIterationTime(RunTogether(threads, [&](int t) {
      for (int64_t k = 0; k < per_thread; ++k) {
        const uint64_t index = first_index + t * per_thread + k;
        rocksdb::Status status = db.Put(write_options, SequenceKey(index + 1), events[index]);
        if (!status.ok()) {
          error.Record(status.ToString());
          return;
        }
      }
    }));
    for (int64_t i = 0; i < threads * per_thread; ++i) {
      bytes += static_cast<int64_t>(events[first_index + i].size());
    }
    first_index += threads * per_thread;
    if (std::string message = error.Get(); !message.empty()) {
      state.SkipWithError(message.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * threads * per_thread);
  state.SetBytesProcessed(bytes);
}

void RegisterAll() {
  for (int64_t batch_events : {1, 100, 1000}) {
    for (int64_t sync : {0, 1}) {
      const int64_t iterations = BatchIterations(batch_events, sync != 0);
      benchmark::RegisterBenchmark("BM_LedgerAppend", BM_LedgerAppend)
          ->ArgNames({"batch", "sync"})
          ->Args({batch_events, sync})
          ->Iterations(iterations)
          ->Repetitions(kRepetitions)
          ->DisplayAggregatesOnly()
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark("BM_RawRocksDbAppend", BM_RawRocksDbAppend)
          ->ArgNames({"batch", "sync"})
          ->Args({batch_events, sync})
          ->Iterations(iterations)
          ->Repetitions(kRepetitions)
          ->DisplayAggregatesOnly()
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark("BM_RawRocksDbLedgerLayout", BM_RawRocksDbLedgerLayout)
          ->ArgNames({"batch", "sync"})
          ->Args({batch_events, sync})
          ->Iterations(iterations)
          ->Repetitions(kRepetitions)
          ->DisplayAggregatesOnly()
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
  benchmark::RegisterBenchmark("BM_ConcurrentAppenders", BM_ConcurrentAppenders)
      ->ArgName("threads")
      ->Arg(kConcurrentThreads)
      ->Iterations(kConcurrentIterations)
      ->Repetitions(kRepetitions)
      ->DisplayAggregatesOnly()
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_RawRocksDbConcurrentPuts", BM_RawRocksDbConcurrentPuts)
      ->ArgName("threads")
      ->Arg(kConcurrentThreads)
      ->Iterations(kConcurrentIterations)
      ->Repetitions(kRepetitions)
      ->DisplayAggregatesOnly()
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
}

// The console table, then the two numbers the throughput goals are about.
// Uses the median of the repetitions.
class GoalReporter : public benchmark::ConsoleReporter {
 public:
  explicit GoalReporter(OutputOptions options) : ConsoleReporter(options) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      auto rate = run.counters.find("items_per_second");
      if (rate == run.counters.end()) continue;
      const std::string key = absl::StrCat(run.run_name.function_name, "/", run.run_name.args);
      if (run.run_type == Run::RT_Iteration) {
        iteration_rates_[key] = rate->second.value;
      } else if (run.aggregate_name == "median") {
        median_rates_[key] = rate->second.value;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::ostream& out = GetOutputStream();
    const double ledger = Rate("BM_LedgerAppend/batch:1000/sync:1");
    const double raw = Rate("BM_RawRocksDbAppend/batch:1000/sync:1");
    const double concurrent = Rate(absl::StrCat("BM_ConcurrentAppenders/threads:", kConcurrentThreads));
    out << "\nGoals (events/s, medians):\n";
    if (ledger > 0 && raw > 0) {
      const double ratio = ledger / raw;
      out << absl::StrFormat(
          "  synced batch-1000: ledger %.0f / raw %.0f = %.3f (goal >= 0.60): %s\n", ledger, raw,
          ratio, ratio >= 0.60 ? "met" : "MISSED");
    } else {
      out << "  synced batch-1000: not measured in this run\n";
    }
    if (concurrent > 0) {
      out << absl::StrFormat("  %d synced single-event appenders: %.0f (goal >= 100000): %s\n",
                             kConcurrentThreads, concurrent,
                             concurrent >= 100000 ? "met" : "MISSED");
    } else {
      out << "  concurrent appenders: not measured in this run\n";
    }
    // Both goals depend on how long an fsync takes on the disk at the time:
    // a synced single-event raw write is little else.
    if (const double single = Rate("BM_RawRocksDbAppend/batch:1/sync:1"); single > 0) {
      out << absl::StrFormat(
          "  context: a synced single-event raw RocksDB write took %.0f us (median), mostly "
          "its fsync\n",
          1e6 / single);
    }
  }

 private:
  double Rate(const std::string& key) const {
    if (auto it = median_rates_.find(key); it != median_rates_.end()) return it->second;
    if (auto it = iteration_rates_.find(key); it != iteration_rates_.end()) return it->second;
    return 0;
  }

  std::map<std::string, double> iteration_rates_;
  std::map<std::string, double> median_rates_;
};

// Whether a boolean --name flag is on in argv (bare, =true, =1, =yes).
// Read before benchmark::Initialize consumes the flags: the console
// reporter this binary installs must honour them as the default one does.
bool FlagOn(int argc, char** argv, const std::string& name, bool default_value) {
  bool value = default_value;
  const std::string bare = "--" + name;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == bare) {
      value = true;
    } else if (arg.rfind(bare + "=", 0) == 0) {
      const std::string v = arg.substr(bare.size() + 1);
      value = v == "true" || v == "1" || v == "yes";
    }
  }
  return value;
}

bool ConsoleFormat(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--benchmark_format=", 19) == 0) {
      return std::strcmp(argv[i] + 19, "console") == 0;
    }
  }
  return true;
}

}  // namespace
}  // namespace loyalty::bench

int main(int argc, char** argv) {
  using loyalty::bench::FlagOn;
  const bool console = loyalty::bench::ConsoleFormat(argc, argv);
  int options = benchmark::ConsoleReporter::OO_None;
  if (FlagOn(argc, argv, "benchmark_counters_tabular", false)) {
    options |= benchmark::ConsoleReporter::OO_Tabular;
  }
  if (FlagOn(argc, argv, "benchmark_color", isatty(STDOUT_FILENO) != 0)) {
    options |= benchmark::ConsoleReporter::OO_Color;
  }

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  loyalty::bench::RegisterAll();
  if (console) {
    loyalty::bench::GoalReporter reporter(
        static_cast<benchmark::ConsoleReporter::OutputOptions>(options));
    benchmark::RunSpecifiedBenchmarks(&reporter);
  } else {
    benchmark::RunSpecifiedBenchmarks();
  }
  benchmark::Shutdown();
  return 0;
}
