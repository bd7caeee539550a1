// Append throughput of the two ledger backends in one run, both synced: the
// RocksDB ledger (fsync of its write-ahead log) and the PostgreSQL ledger (a
// commit of a throwaway local server with fsync and synchronous_commit on,
// on a unix socket: testing/throwaway_postgres.sh, started by this program
// and removed when it ends).
//
//   BM_Append/backend:K/batch:B      one caller appending batches of B
//                                    purchase events to a fresh ledger.
//   BM_ConcurrentAppend/backend:K/threads:T
//                                    T threads appending single-event batches
//                                    to one ledger (group commit).
//
// backend 0 is RocksDB, 1 is PostgreSQL; the two runs of one shape are
// registered one after the other so that they see the same machine state.
// Results: bench/README.md, "Backends".
#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "bench/workload.h"
#include "ledger/postgres/postgres_ledger.h"
#include "loyalty/ledger.h"
#include "testing/temp_dir.h"
#include "testing/throwaway_postgres.h"

namespace loyalty::bench {
namespace {

constexpr int64_t kBatchIterations = 300;
constexpr int64_t kAppendsPerThread = 50;

// A fresh, synced ledger of `backend`; `dir` holds the RocksDB one.
absl::StatusOr<std::unique_ptr<Ledger>> OpenFresh(int64_t backend, const testing::TempDir& dir) {
  LedgerOptions options;
  options.sync = true;
  if (backend == 0) return Ledger::Open(dir.Sub("ledger"), options);
  absl::StatusOr<testing::ThrowawayPostgres*> server = testing::ThrowawayPostgres::Shared();
  if (!server.ok()) return server.status();
  absl::StatusOr<std::string> database = (*server)->NewDatabase();
  if (!database.ok()) return database.status();
  return internal::PostgresLedger::Open(*database, options);
}

void BM_Append(benchmark::State& state) {
  const int64_t batch_events = state.range(1);
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = OpenFresh(state.range(0), dir);
  if (!ledger.ok()) {
    state.SkipWithError(ledger.status().ToString().c_str());
    return;
  }
  // Built before the clock runs: what Append does with a batch is timed.
  std::vector<AppendBatch> batches(state.max_iterations);
  for (size_t i = 0; i < batches.size(); ++i) {
    batches[i] = PurchaseBatch(i * batch_events, batch_events);
  }
  auto batch = batches.begin();
  for (auto _ : state) {
    absl::StatusOr<AppendResult> appended = (*ledger)->Append(*batch++);
    if (!appended.ok()) {
      state.SkipWithError(appended.status().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * batch_events);
}

void BM_ConcurrentAppend(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(1));
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = OpenFresh(state.range(0), dir);
  if (!ledger.ok()) {
    state.SkipWithError(ledger.status().ToString().c_str());
    return;
  }
  uint64_t first_index = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::vector<AppendBatch>> batches(threads);
    for (int t = 0; t < threads; ++t) {
      for (int64_t k = 0; k < kAppendsPerThread; ++k) {
        batches[t].push_back(PurchaseBatch(first_index++, 1));
      }
    }
    state.ResumeTiming();
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t) {
      running.emplace_back([&, t] {
        for (const AppendBatch& batch : batches[t]) (void)(*ledger)->Append(batch);
      });
    }
    for (std::thread& thread : running) thread.join();
  }
  state.SetItemsProcessed(state.iterations() * threads * kAppendsPerThread);
  const LedgerMetrics metrics = (*ledger)->Metrics();
  state.counters["events_per_group"] =
      static_cast<double>(metrics.events_appended_total) /
      static_cast<double>(std::max<uint64_t>(metrics.group_commits_total, 1));
  state.counters["errors"] = static_cast<double>(metrics.append_errors_total);
}

void RegisterAll() {
  for (const int64_t batch : {1, 100}) {
    for (const int64_t backend : {0, 1}) {
      benchmark::RegisterBenchmark("BM_Append", BM_Append)
          ->ArgNames({"backend", "batch"})
          ->Args({backend, batch})
          ->Iterations(kBatchIterations)
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
    }
  }
  for (const int64_t threads : {1, 16}) {
    for (const int64_t backend : {0, 1}) {
      benchmark::RegisterBenchmark("BM_ConcurrentAppend", BM_ConcurrentAppend)
          ->ArgNames({"backend", "threads"})
          ->Args({backend, threads})
          ->Iterations(3)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
}

}  // namespace
}  // namespace loyalty::bench

int main(int argc, char** argv) {
  loyalty::bench::RegisterAll();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
