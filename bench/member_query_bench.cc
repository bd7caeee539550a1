// One member's state (Engine::Member) at the head, replayed, and as of now,
// for a member whose stream holds 1,001 events, in a log shared with other
// members and several policy changes.
//
// The log is small (about 23,000 events) and generated once under /tmp, twice:
// with member snapshots every 128 member events (the default) and without.
// A replay from a snapshot is measured as of just before the member's last
// event, and as of just before a snapshot's event (the farthest a replay
// goes from a snapshot: 127 events); the replay of all 1,000 events, on the
// log without snapshots, is the baseline.
//
//   build/bench/member_query_bench --benchmark_counters_tabular=true
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "loyalty/engine.h"

namespace loyalty {
namespace {

constexpr char kBigMember[] = "M-BIG";
// An enrolment, then purchases each with its points grant: 1,001 events.
constexpr int kBigMemberPurchases = 500;
constexpr int kOtherMembers = 2000;
constexpr int kPurchasesPerOtherMember = 5;
constexpr int64_t kStartUs = 1704067200000000;  // 2024-01-01T00:00:00Z
constexpr int64_t kHourUs = 3600LL * 1000000;

// The default interval; 0 for a log without member snapshots.
const uint64_t kSnapshotInterval = EngineOptions().member_snapshot_interval_events;

std::string LogDirectory(uint64_t snapshot_interval) {
  return absl::StrCat(std::filesystem::temp_directory_path().string(),
                      "/loyalty-member-query-bench-", kBigMemberPurchases, "-snapshots-",
                      snapshot_interval);
}

void Check(const absl::Status& status) {
  if (status.ok()) return;
  std::cerr << status << "\n";
  std::abort();
}

// The big member's purchases interleave with everyone else's and with a
// policy change every 100 purchases, so that the query skips foreign events
// and merges the policy stream.
void Generate(const std::string& dir, uint64_t snapshot_interval) {
  std::filesystem::remove_all(dir);
  EngineOptions options;
  options.ledger.sync = false;
  options.member_snapshot_interval_events = snapshot_interval;
  auto engine = Engine::Open(dir, options);
  Check(engine.status());
  int64_t at_us = kStartUs;
  auto enrol = [&](const std::string& member_id) {
    EnrolMember command;
    command.member_id = member_id;
    command.occurred_at_us = at_us;
    command.actor_id = "bench";
    Check((*engine)->Execute(command).status());
  };
  auto purchase = [&](const std::string& member_id, const std::string& purchase_id, int64_t fen) {
    RecordPurchase command;
    command.purchase_id = purchase_id;
    command.member_id = member_id;
    command.partner_id = absl::StrCat("S", fen % 40);
    command.amount_fen = fen;
    command.category = "dining";
    command.occurred_at_us = at_us;
    command.actor_id = "bench";
    Check((*engine)->Execute(command).status());
  };
  enrol(kBigMember);
  for (int m = 0; m < kOtherMembers; ++m) enrol(absl::StrCat("M", m));
  for (int i = 0; i < kBigMemberPurchases; ++i) {
    at_us += kHourUs;
    purchase(kBigMember, absl::StrCat("BIG-", i), 10000 + i);
    for (int k = 0; k < kOtherMembers * kPurchasesPerOtherMember / kBigMemberPurchases; ++k) {
      const int member = (i * 7 + k * 13) % kOtherMembers;
      purchase(absl::StrCat("M", member), absl::StrCat("P-", i, "-", k), 5000 + k);
    }
    if (i % 100 == 99) {
      SetPolicy policy;
      policy.policy_change_id = absl::StrCat("earning-", i);
      policy.change.mutable_earning()->set_fen_per_point(i / 100 % 2 == 0 ? 50 : 100);
      policy.occurred_at_us = at_us;
      policy.actor_id = "bench";
      Check((*engine)->Execute(policy).status());
    }
  }
  Check((*engine)->Checkpoint());
}

std::string PreparedLog(uint64_t snapshot_interval = kSnapshotInterval) {
  const std::string dir = LogDirectory(snapshot_interval);
  const std::string marker = dir + ".complete";
  if (!std::filesystem::exists(marker)) {
    std::cerr << "generating the benchmark log in " << dir << " (once)...\n";
    Generate(dir, snapshot_interval);
    std::ofstream(marker) << "ok\n";
  }
  return dir;
}

// The member as of `sequence` (0: the head), in the log with snapshots
// every `snapshot_interval` member events.
void MemberAsOf(benchmark::State& state, uint64_t sequence,
                uint64_t snapshot_interval = kSnapshotInterval) {
  EngineOptions options;
  options.member_snapshot_interval_events = snapshot_interval;
  auto engine = Engine::Open(PreparedLog(snapshot_interval), options);
  Check(engine.status());
  const uint64_t head = (*engine)->ledger().Head().sequence;
  auto stream_events = (*engine)->ledger().StreamVersion(absl::StrCat("member-", kBigMember));
  Check(stream_events.status());
  for (auto _ : state) {
    auto view = (*engine)->Member(kBigMember, AsOf::Sequence(sequence == 0 ? head : sequence));
    if (!view.ok()) {
      state.SkipWithError(std::string(view.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(view->available_points);
  }
  const EngineMetrics metrics = *(*engine)->Metrics().engine;
  state.counters["stream_events"] = static_cast<double>(*stream_events);
  state.counters["log_events"] = static_cast<double>(head);
  // Member events each query replayed.
  state.counters["replayed"] =
      metrics.member_replays_total == 0
          ? 0.0
          : static_cast<double>(metrics.member_replayed_events_total) /
                static_cast<double>(metrics.member_replays_total);
}

// The sequence of the big member's event of stream version `version`; 0:
// of its last event.
uint64_t BigMemberSequence(uint64_t version = 0) {
  auto engine = Engine::Open(PreparedLog(), EngineOptions());
  Check(engine.status());
  const std::string stream = absl::StrCat("member-", kBigMember);
  uint64_t found = 0;
  Check((*engine)->ledger().ScanStream(stream, 1, [&](const v1::Envelope& envelope) {
    if (version == 0 || envelope.stream_version() <= version) found = envelope.sequence();
    return absl::OkStatus();
  }));
  return found;
}

// At the head, after the member's last event: from the engine's live
// projections, a copy of the member's account and tier.
void BM_MemberAtHead(benchmark::State& state) { MemberAsOf(state, 0); }
BENCHMARK(BM_MemberAtHead)->Unit(benchmark::kMicrosecond)->Repetitions(3)->ReportAggregatesOnly();

// Just before the member's last event, without snapshots: a replay of the
// member's other 1,000 events and the policy changes up to there.
void BM_MemberReplayedFromStart(benchmark::State& state) {
  MemberAsOf(state, BigMemberSequence() - 1, /*snapshot_interval=*/0);
}
BENCHMARK(BM_MemberReplayedFromStart)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(3)
    ->ReportAggregatesOnly();

// The same with snapshots: from the latest snapshot (version 896) on.
void BM_MemberReplayed(benchmark::State& state) { MemberAsOf(state, BigMemberSequence() - 1); }
BENCHMARK(BM_MemberReplayed)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(3)
    ->ReportAggregatesOnly();

// Just before the event of a snapshot (version 896): from the one before it
// (version 768), the longest replay snapshots leave.
void BM_MemberReplayedFarthest(benchmark::State& state) {
  MemberAsOf(state, BigMemberSequence(7 * kSnapshotInterval) - 1);
}
BENCHMARK(BM_MemberReplayedFarthest)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(3)
    ->ReportAggregatesOnly();

// As of now (the clock's): the live copy moved to now (lots expire, the tier
// is re-evaluated).
void BM_MemberNow(benchmark::State& state) {
  auto engine = Engine::Open(PreparedLog(), EngineOptions());
  Check(engine.status());
  for (auto _ : state) {
    auto view = (*engine)->Member(kBigMember, AsOf::Now());
    if (!view.ok()) {
      state.SkipWithError(std::string(view.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(view->available_points);
  }
}
BENCHMARK(BM_MemberNow)->Unit(benchmark::kMicrosecond)->Repetitions(3)->ReportAggregatesOnly();

}  // namespace
}  // namespace loyalty

BENCHMARK_MAIN();
