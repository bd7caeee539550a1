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
//   BM_DemoIngest/backend:K      the demo's workload (200 members, 60 days)
//                                through one engine, every command synced
//                                and its projections current, one caller.
//
// backend 0 is RocksDB, 1 is PostgreSQL; the runs of one shape are
// registered one after the other so that they see the same machine state.
// BM_DemoIngest has a backend 2: the replicated cluster of
// scripts/pg-cluster.sh (a primary and two synchronous standbys), when the
// program runs under it (LOYALTY_PG_URI); otherwise it says so and skips.
//   scripts/pg-cluster.sh -- build/bench/backends_bench --benchmark_filter=Demo
// Results: bench/README.md, "Backends".
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "bench/workload.h"
#include "demo/workload.h"
#include "loyalty/engine.h"
#include "loyalty/privacy.h"
#include "util/pg_session.h"
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
  absl::StatusOr<std::string> database = testing::ThrowawayPostgres::NewSharedDatabase();
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

// A fresh ledger for an engine on `backend` (1, 2) in *uri: a new database
// of the throwaway server or a new schema of the cluster. RocksDB's (0) is
// the engine's directory.
absl::Status FreshEngineLedger(int64_t backend, std::string* uri) {
  if (backend == 0) return absl::OkStatus();
  if (backend == 1) {
    absl::StatusOr<std::string> database = testing::ThrowawayPostgres::NewSharedDatabase();
    if (!database.ok()) return database.status();
    *uri = *database;
    return absl::OkStatus();
  }
  const char* cluster = std::getenv("LOYALTY_PG_URI");
  if (cluster == nullptr) {
    return absl::FailedPreconditionError(
        "not under scripts/pg-cluster.sh: no replicated cluster to measure");
  }
  // The cluster's URI names the schema "ledger"; each run takes one of its own.
  static int schemas = 0;
  const std::string schema = absl::StrCat("bench_", ++schemas);
  std::string base = cluster;
  const size_t at = base.find("search_path%3Dledger");
  if (at == std::string::npos) return absl::InternalError("LOYALTY_PG_URI names no schema");
  absl::StatusOr<std::unique_ptr<util::PgSession>> admin = util::PgSession::Connect(base);
  if (!admin.ok()) return admin.status();
  absl::Status created = (*admin)->Exec(absl::StrCat("CREATE SCHEMA ", schema));
  if (!created.ok()) return created;
  *uri = base.replace(at, std::string("search_path%3Dledger").size(),
                      absl::StrCat("search_path%3D", schema));
  return absl::OkStatus();
}

void BM_DemoIngest(benchmark::State& state) {
  demo::WorkloadOptions workload;
  workload.members = 200;
  workload.days = 60;
  std::vector<demo::Command> commands;
  absl::Status generated = demo::GenerateWorkload(workload, [&](const demo::Command& command) {
    commands.push_back(command);
    return absl::OkStatus();
  });
  if (!generated.ok()) {
    state.SkipWithError(generated.ToString().c_str());
    return;
  }
  int64_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    testing::TempDir dir;
    std::string uri;
    absl::Status fresh = FreshEngineLedger(state.range(0), &uri);
    if (!fresh.ok()) {
      state.SkipWithError(fresh.ToString().c_str());
      return;
    }
    ManualClock clock(workload.start_us);
    EngineOptions options;
    options.postgres_uri = uri;
    options.ledger.clock = &clock;
    options.ledger.sync = true;
    // The demo's members come with personal data, sealed under a key.
    options.master_key = MasterKeyFromBytes(std::string(kMasterKeyBytes, 'k'));
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(dir.Sub("ledger"), options);
    if (!engine.ok()) {
      state.SkipWithError(engine.status().ToString().c_str());
      return;
    }
    state.ResumeTiming();
    for (const demo::Command& command : commands) {
      const int64_t at_us = demo::OccurredAtUs(command);
      if (at_us + 1000000 > clock.NowMicros()) clock.Set(at_us + 1000000);
      absl::StatusOr<CommandResult> result =
          std::visit([&](const auto& c) { return (*engine)->Execute(c); }, command);
      if (result.ok()) {
        events += static_cast<int64_t>(result->sequences.size());
      } else if (!absl::IsFailedPrecondition(result.status()) &&
                 !absl::IsAlreadyExists(result.status())) {
        // What the demo refuses on purpose (a redemption over the balance)
        // aside, every command must go in.
        state.SkipWithError(result.status().ToString().c_str());
        return;
      }
    }
  }
  state.SetItemsProcessed(events);
  state.counters["commands"] = static_cast<double>(commands.size());
}

void RegisterAll() {
  for (const int64_t backend : {0, 1, 2}) {
    benchmark::RegisterBenchmark("BM_DemoIngest", BM_DemoIngest)
        ->ArgNames({"backend"})
        ->Args({backend})
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
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
