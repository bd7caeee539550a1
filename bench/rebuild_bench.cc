// Rebuilding every projection from the log, beside a raw scan-and-parse of
// the same log in the same run; and one member's as-of query.
//
// The log is generated once (the demo's seeded workload, 100,000 members,
// about 2,000,000 events) into a directory under /tmp that later runs reuse.
//
//   build/bench/rebuild_bench --benchmark_counters_tabular=true
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "demo/runner.h"
#include "replay/projection_set.h"
#include "replay/set_replay.h"
#include "loyalty/engine.h"

namespace loyalty {
namespace {

constexpr int kMembers = 100000;
constexpr int kDays = 160;
constexpr char kBigMember[] = "M-BIG";
// Events in the big member's stream: an enrolment, then purchases with grants.
constexpr int kBigMemberPurchases = 500;

std::string LogDirectory() {
  const char* override_dir = std::getenv("LOYALTY_BENCH_DIR");
  if (override_dir != nullptr) return override_dir;
  return absl::StrCat(std::filesystem::temp_directory_path().string(), "/loyalty-rebuild-bench-",
                      kMembers, "-", kDays);
}

// Builds the log once; a marker file says it is complete.
const std::string& PreparedLog() {
  static const std::string directory = [] {
    const std::string dir = LogDirectory();
    const std::string marker = dir + ".complete";
    if (std::filesystem::exists(marker)) return dir;
    std::cerr << "generating the benchmark log in " << dir << " (once)...\n";
    demo::RunOptions options;
    options.workload.members = kMembers;
    options.workload.days = kDays;
    options.replace = true;
    options.sync = false;
    auto summary = demo::RunWorkload(dir, options, nullptr);
    if (!summary.ok()) {
      std::cerr << summary.status() << "\n";
      std::abort();
    }
    EngineOptions engine_options;
    engine_options.ledger.sync = false;
    auto engine = Engine::Open(dir, engine_options);
    if (!engine.ok()) std::abort();
    EnrolMember enrol;
    enrol.member_id = kBigMember;
    enrol.occurred_at_us = options.workload.start_us;
    enrol.actor_id = "bench";
    if (!(*engine)->Execute(enrol).ok()) std::abort();
    for (int i = 0; i < kBigMemberPurchases; ++i) {
      RecordPurchase purchase;
      purchase.purchase_id = absl::StrCat("BIG-", i);
      purchase.member_id = kBigMember;
      purchase.partner_id = "S001";
      purchase.amount_fen = 10000 + i;
      purchase.category = "dining";
      purchase.occurred_at_us = options.workload.start_us + (kDays - 1) * 86400LL * 1000000;
      purchase.actor_id = "bench";
      if (!(*engine)->Execute(purchase).ok()) std::abort();
    }
    if (!(*engine)->Checkpoint().ok()) std::abort();
    std::ofstream(marker) << "ok\n";
    return dir;
  }();
  return directory;
}

std::unique_ptr<Engine> OpenPrepared() {
  auto engine = Engine::Open(PreparedLog(), EngineOptions());
  if (!engine.ok()) {
    std::cerr << engine.status() << "\n";
    std::abort();
  }
  return std::move(*engine);
}

// The baseline: read every event and decode its envelope, nothing else.
void BM_ScanAndParse(benchmark::State& state) {
  std::unique_ptr<Engine> engine = OpenPrepared();
  const uint64_t head = engine->ledger().Head().sequence;
  for (auto _ : state) {
    uint64_t events = 0;
    absl::Status status = engine->ledger().Scan(1, head, [&](const v1::Envelope& envelope) {
      benchmark::DoNotOptimize(envelope.sequence());
      ++events;
      return absl::OkStatus();
    });
    if (!status.ok() || events != head) state.SkipWithError("scan failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * head));
  state.counters["events"] = static_cast<double>(head);
}
BENCHMARK(BM_ScanAndParse)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// Every projection rebuilt from zero: the same scan, each event applied as
// it is decoded, keeping member snapshots at the default interval, as
// Engine::Rebuild does it; on 1 thread, then on 2 (engine/set_replay.h).
// The rebuilt set is released outside the timed region.
void BM_RebuildAllProjections(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  std::unique_ptr<Engine> engine = OpenPrepared();
  const uint64_t head = engine->ledger().Head().sequence;
  double release_ms = 0;
  for (auto _ : state) {
    auto set = std::make_unique<internal::ProjectionSet>();
    set->KeepMemberSnapshots(EngineOptions().member_snapshot_interval_events);
    absl::Status status = internal::ReplayLog(engine->ledger(), 1, head, threads, set.get());
    if (!status.ok()) state.SkipWithError(std::string(status.message()).c_str());
    benchmark::DoNotOptimize(set->balances().OutstandingPoints());
    // Releasing the rebuilt state is not part of rebuilding it; its time is
    // reported apart (release_ms, per iteration).
    state.PauseTiming();
    const auto release_start = std::chrono::steady_clock::now();
    set.reset();
    release_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                            release_start)
                      .count();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * head));
  state.counters["events"] = static_cast<double>(head);
  state.counters["release_ms"] = release_ms / static_cast<double>(state.iterations());
}
BENCHMARK(BM_RebuildAllProjections)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// One member's state as of the head, from the member's own stream of about
// 1,000 events (and the policy stream).
void BM_MemberAsOf(benchmark::State& state) {
  std::unique_ptr<Engine> engine = OpenPrepared();
  const uint64_t head = engine->ledger().Head().sequence;
  uint64_t stream_events = *engine->ledger().StreamVersion(absl::StrCat("member-", kBigMember));
  for (auto _ : state) {
    auto view = engine->Member(kBigMember, AsOf::Sequence(head));
    if (!view.ok()) state.SkipWithError(std::string(view.status().message()).c_str());
    benchmark::DoNotOptimize(view->available_points);
  }
  state.counters["stream_events"] = static_cast<double>(stream_events);
}
BENCHMARK(BM_MemberAsOf)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace loyalty

BENCHMARK_MAIN();
