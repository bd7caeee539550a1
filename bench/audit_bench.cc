// The auditor's costs on a log of about 2,000,000 events:
// - `verify` (Ledger::Verify) beside a raw scan (Ledger::ScanRaw) of the same
//   log in the same run; the goal is a verify rate of at least 50% of the
//   scan's;
// - the chain and the Merkle tree recomputed from the log (what
//   `checkpoint verify --skip-digests` does), and the Merkle index built from
//   scratch (the first `checkpoint sign` or `prove` on a ledger);
// - inclusion and consistency proofs generated from the Merkle index, and
//   checked offline; the goal is under 1 ms each.
//
// The log is the one rebuild_bench generates (the demo's seeded workload,
// 100,000 members over 160 days) when it is there and this build reads its
// format, else one generated the same way into a directory of this
// benchmark's own (or $LOYALTY_BENCH_DIR). The Merkle index lives beside the
// log, in LOG.audit-index, never inside it.
//
//   build/bench/audit_bench --benchmark_counters_tabular=true
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "demo/runner.h"
#include "loyalty/audit.h"
#include "loyalty/ledger.h"

namespace loyalty {
namespace {

constexpr int kMembers = 100000;
constexpr int kDays = 160;
// Proofs asked for per benchmark run, at positions spread over the log.
constexpr int kProofSamples = 20000;

using Clock = std::chrono::steady_clock;

// CPU time of the calling thread, in microseconds: what an operation costs
// when the machine's other work is not preempting it.
double ThreadCpuMicros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

double Seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

std::string TmpPath(const std::string& name) {
  return absl::StrCat(std::filesystem::temp_directory_path().string(), "/", name, "-", kMembers,
                      "-", kDays);
}

// Generates the demo's workload into `dir` unless a marker says it is there.
void EnsureGenerated(const std::string& dir) {
  if (std::filesystem::exists(dir + ".complete")) return;
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
  std::ofstream(dir + ".complete") << "ok\n";
}

// One ledger and one Merkle index for the whole run.
struct Fixture {
  std::string log_directory;
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<audit::AuditStore> store;
  uint64_t head = 0;
  // Events the run added to the Merkle index, and how long that took.
  uint64_t indexed_events = 0;
  double index_build_seconds = 0;
};

// The log: $LOYALTY_BENCH_DIR if set; else rebuild_bench's when it is
// complete and in a format this build reads; else one of our own.
std::unique_ptr<Ledger> OpenLog(std::string* used) {
  std::vector<std::string> candidates;
  const std::string own = TmpPath("loyalty-audit-bench");
  if (const char* override_dir = std::getenv("LOYALTY_BENCH_DIR")) {
    candidates.push_back(override_dir);
  } else {
    const std::string shared = TmpPath("loyalty-rebuild-bench");
    if (std::filesystem::exists(shared + ".complete")) candidates.push_back(shared);
    candidates.push_back(own);
  }
  for (const std::string& dir : candidates) {
    if (dir != candidates.front() || dir == own) EnsureGenerated(dir);
    LedgerOptions options;
    options.create_if_missing = false;
    options.sync = false;
    auto ledger = Ledger::Open(dir, options);
    if (ledger.ok()) {
      *used = dir;
      return std::move(*ledger);
    }
    std::cerr << "cannot use the log in " << dir << ": " << ledger.status() << "\n";
  }
  std::abort();
}

Fixture& Prepared() {
  static Fixture* fixture = [] {
    auto* f = new Fixture();
    f->ledger = OpenLog(&f->log_directory);
    f->head = f->ledger->Head().sequence;
    // Beside the log, never inside it: the log may be another benchmark's.
    const std::string index_directory = f->log_directory + ".audit-index";
    auto store = audit::AuditStore::Open(index_directory, f->ledger.get());
    if (!store.ok()) {
      // Built from another log (that one was regenerated): start over.
      std::filesystem::remove_all(index_directory);
      store = audit::AuditStore::Open(index_directory, f->ledger.get());
    }
    if (!store.ok()) {
      std::cerr << store.status() << "\n";
      std::abort();
    }
    f->store = std::move(*store);
    f->indexed_events = f->head - f->store->tree_size();
    const Clock::time_point start = Clock::now();
    auto indexed = f->store->CatchUp();
    if (!indexed.ok() || *indexed != f->head) {
      std::cerr << "indexing the log failed: " << indexed.status() << "\n";
      std::abort();
    }
    f->index_build_seconds = Seconds(Clock::now() - start);
    return f;
  }();
  return *fixture;
}

// What the summary after the table reports.
struct Results {
  std::mutex mu;
  std::map<std::string, double> best_events_per_second;
  std::map<std::string, std::vector<double>> latencies_us;
  std::map<std::string, std::vector<double>> cpu_us;
};
Results& results() {
  static Results* r = new Results();
  return *r;
}

void RecordRate(const std::string& name, double events_per_second) {
  std::lock_guard<std::mutex> lock(results().mu);
  double& best = results().best_events_per_second[name];
  best = std::max(best, events_per_second);
}

void RecordLatencies(const std::string& name, std::vector<double> latencies_us,
                     std::vector<double> cpu_us) {
  std::lock_guard<std::mutex> lock(results().mu);
  auto& all = results().latencies_us[name];
  all.insert(all.end(), latencies_us.begin(), latencies_us.end());
  auto& all_cpu = results().cpu_us[name];
  all_cpu.insert(all_cpu.end(), cpu_us.begin(), cpu_us.end());
}

// The baseline: every event's stored bytes and hash read, nothing else.
void BM_ScanRaw(benchmark::State& state) {
  Fixture& f = Prepared();
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    uint64_t events = 0;
    uint64_t bytes = 0;
    absl::Status status = f.ledger->ScanRaw(1, f.head, [&](const RawEvent& raw) {
      ++events;
      bytes += raw.canonical_bytes.size();
      benchmark::DoNotOptimize(raw.hash[0]);
      return absl::OkStatus();
    });
    if (!status.ok() || events != f.head) state.SkipWithError("scan failed");
    RecordRate("scan", static_cast<double>(events) / Seconds(Clock::now() - start));
    state.counters["bytes"] = static_cast<double>(bytes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f.head));
  state.counters["events"] = static_cast<double>(f.head);
}
BENCHMARK(BM_ScanRaw)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// `loyalty verify`: the whole chain recomputed and checked by the ledger.
void BM_LedgerVerify(benchmark::State& state) {
  Fixture& f = Prepared();
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    absl::Status status = f.ledger->Verify(1, f.head);
    if (!status.ok()) state.SkipWithError(std::string(status.message()).c_str());
    RecordRate("verify", static_cast<double>(f.head) / Seconds(Clock::now() - start));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f.head));
  state.counters["events"] = static_cast<double>(f.head);
}
BENCHMARK(BM_LedgerVerify)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// The scan again, after verify, so that neither has the colder cache.
BENCHMARK(BM_ScanRaw)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3)
    ->Name("BM_ScanRaw/again");

// `checkpoint verify --skip-digests`: each event decoded, its sequence and
// previous_hash checked, the chain and the Merkle tree recomputed.
void BM_RecomputeChainAndMerkleRoot(benchmark::State& state) {
  Fixture& f = Prepared();
  const uint64_t at[] = {f.head};
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    auto figures = audit::RecomputeLogFigures(*f.ledger, at, /*with_digests=*/false);
    if (!figures.ok()) state.SkipWithError(std::string(figures.status().message()).c_str());
    RecordRate("recompute", static_cast<double>(f.head) / Seconds(Clock::now() - start));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f.head));
}
BENCHMARK(BM_RecomputeChainAndMerkleRoot)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

// Positions spread over the whole log, the same in every run.
std::vector<uint64_t> SamplePositions(uint64_t head) {
  std::vector<uint64_t> positions;
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < kProofSamples; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    positions.push_back(1 + x % head);
  }
  return positions;
}

// `loyalty prove SEQ`: the audit path from the stored tree, and the event's
// canonical bytes, at the head.
void BM_ProveInclusion(benchmark::State& state) {
  Fixture& f = Prepared();
  const std::vector<uint64_t> positions = SamplePositions(f.head);
  std::vector<double> latencies;
  std::vector<double> cpu;
  size_t next = 0;
  for (auto _ : state) {
    const uint64_t sequence = positions[next++ % positions.size()];
    const Clock::time_point start = Clock::now();
    const double cpu_start = ThreadCpuMicros();
    std::string event;
    auto proof = f.store->ProveInclusion(sequence, f.head, &event);
    latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    cpu.push_back(ThreadCpuMicros() - cpu_start);
    if (!proof.ok() || event.empty()) state.SkipWithError("proof failed");
    benchmark::DoNotOptimize(proof->path.data());
  }
  state.counters["tree_size"] = static_cast<double>(f.head);
  RecordLatencies("prove inclusion (path + event)", std::move(latencies), std::move(cpu));
}
BENCHMARK(BM_ProveInclusion)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Iterations(kProofSamples);

// Checking an inclusion proof: the leaf hash and the path up to the root.
void BM_VerifyInclusion(benchmark::State& state) {
  Fixture& f = Prepared();
  const std::vector<uint64_t> positions = SamplePositions(f.head);
  auto root = f.store->Root(f.head);
  struct Case {
    audit::InclusionProof proof;
    std::string event;
  };
  std::vector<Case> cases;
  for (int i = 0; i < 1000; ++i) {
    Case c;
    c.proof = *f.store->ProveInclusion(positions[i], f.head);
    (void)f.ledger->ScanRaw(positions[i], positions[i], [&](const RawEvent& raw) {
      c.event = std::string(raw.canonical_bytes);
      return absl::OkStatus();
    });
    cases.push_back(std::move(c));
  }
  std::vector<double> latencies;
  std::vector<double> cpu;
  size_t next = 0;
  for (auto _ : state) {
    const Case& c = cases[next++ % cases.size()];
    const Clock::time_point start = Clock::now();
    const double cpu_start = ThreadCpuMicros();
    absl::Status verified = audit::VerifyInclusion(c.proof, audit::MerkleLeafHash(c.event), *root);
    latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    cpu.push_back(ThreadCpuMicros() - cpu_start);
    if (!verified.ok()) state.SkipWithError("a proof did not verify");
  }
  RecordLatencies("check inclusion (leaf + path)", std::move(latencies), std::move(cpu));
}
BENCHMARK(BM_VerifyInclusion)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Iterations(kProofSamples);

// `loyalty check-proof`: a whole proof document decoded and checked, the
// checkpoint's Ed25519 signature included.
void BM_CheckProofDocument(benchmark::State& state) {
  Fixture& f = Prepared();
  auto key = audit::SigningKey::Generate();
  audit::Checkpoint checkpoint;
  checkpoint.sequence = f.head;
  checkpoint.chain_head = f.ledger->Head().hash;
  checkpoint.merkle_root = *f.store->Root(f.head);
  checkpoint.signer_key_sha256 = key->public_key().Fingerprint();
  audit::SignedCheckpoint signed_checkpoint;
  signed_checkpoint.number = 1;
  signed_checkpoint.checkpoint = checkpoint;
  signed_checkpoint.record = *audit::EncodeCheckpointRecord(checkpoint);
  signed_checkpoint.signature = *key->Sign(signed_checkpoint.record);
  const std::vector<uint64_t> positions = SamplePositions(f.head);
  std::vector<std::string> documents;
  for (int i = 0; i < 1000; ++i) {
    audit::ProofDocument document;
    document.inclusion = *f.store->ProveInclusion(positions[i], f.head);
    (void)f.ledger->ScanRaw(positions[i], positions[i], [&](const RawEvent& raw) {
      document.event_bytes = std::string(raw.canonical_bytes);
      return absl::OkStatus();
    });
    document.checkpoints = {signed_checkpoint};
    documents.push_back(audit::EncodeProofDocument(document));
  }
  std::vector<double> latencies;
  std::vector<double> cpu;
  size_t next = 0;
  for (auto _ : state) {
    const std::string& text = documents[next++ % documents.size()];
    const Clock::time_point start = Clock::now();
    const double cpu_start = ThreadCpuMicros();
    auto document = audit::DecodeProofDocument(text);
    absl::Status checked =
        document.ok() ? audit::CheckProofDocument(*document, key->public_key()) : document.status();
    latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    cpu.push_back(ThreadCpuMicros() - cpu_start);
    if (!checked.ok()) state.SkipWithError(std::string(checked.message()).c_str());
  }
  RecordLatencies("check-proof (document, signature, path)", std::move(latencies), std::move(cpu));
}
BENCHMARK(BM_CheckProofDocument)->Unit(benchmark::kMicrosecond)->UseRealTime()->Iterations(5000);

// `loyalty prove --consistency`: between a size spread over the log and the
// head.
void BM_ProveConsistency(benchmark::State& state) {
  Fixture& f = Prepared();
  const std::vector<uint64_t> positions = SamplePositions(f.head);
  std::vector<double> latencies;
  std::vector<double> cpu;
  size_t next = 0;
  for (auto _ : state) {
    const uint64_t old_size = positions[next++ % positions.size()];
    const Clock::time_point start = Clock::now();
    const double cpu_start = ThreadCpuMicros();
    auto proof = f.store->ProveConsistency(old_size, f.head);
    latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    cpu.push_back(ThreadCpuMicros() - cpu_start);
    if (!proof.ok()) state.SkipWithError("proof failed");
  }
  RecordLatencies("prove consistency", std::move(latencies), std::move(cpu));
}
BENCHMARK(BM_ProveConsistency)->Unit(benchmark::kMicrosecond)->UseRealTime()->Iterations(5000);

double Percentile(std::vector<double> values, double fraction) {
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(fraction * values.size()));
  return values[index];
}

void PrintSummary() {
  Results& r = results();
  std::lock_guard<std::mutex> lock(r.mu);
  std::cout << "\nSummary (log: " << Prepared().log_directory << ", " << Prepared().head
            << " events)\n";
  if (Prepared().indexed_events == 0) {
    std::cout << "  Merkle index: up to date from an earlier run (remove "
              << Prepared().log_directory << ".audit-index to time its building)\n";
  } else {
    std::cout << absl::StrFormat(
        "  Merkle index built: %d events in %.1f s (%.0f events/s)\n", Prepared().indexed_events,
        Prepared().index_build_seconds,
        Prepared().indexed_events / std::max(Prepared().index_build_seconds, 1e-9));
  }
  for (const auto& [name, rate] : r.best_events_per_second) {
    std::cout << absl::StrFormat("  %-10s best %12.0f events/s\n", name, rate);
  }
  if (r.best_events_per_second.count("scan") && r.best_events_per_second.count("verify")) {
    const double ratio = r.best_events_per_second["verify"] / r.best_events_per_second["scan"];
    std::cout << absl::StrFormat("  goal: verify >= 50%% of the scan's rate: %.0f%% (%s)\n",
                                 100 * ratio, ratio >= 0.5 ? "met" : "MISSED");
  }
  for (const auto& [name, latencies] : r.latencies_us) {
    if (latencies.empty()) continue;
    const double p99 = Percentile(latencies, 0.99);
    const std::vector<double>& cpu = r.cpu_us[name];
    std::cout << absl::StrFormat(
        "  %-40s wall p50 %6.1f us p99 %7.1f us max %8.1f us; cpu p50 %6.1f us p99 %6.1f us"
        " (goal < 1000 us: %s)\n",
        name, Percentile(latencies, 0.5), p99,
        *std::max_element(latencies.begin(), latencies.end()), Percentile(cpu, 0.5),
        Percentile(cpu, 0.99), p99 < 1000 ? "met at p99" : "MISSED at p99 of wall time");
  }
}

}  // namespace
}  // namespace loyalty

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  loyalty::PrintSummary();
  benchmark::Shutdown();
  return 0;
}
