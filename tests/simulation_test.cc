// Deterministic simulation: from a seed, a random workload of member
// commands runs through the engine on a file system that injects faults
// (ledger/testing/fault_fs.h) and on a ManualClock, with random simulated
// crashes (nothing more reaches the disk, the engine is dropped, the
// write-ahead logs lose what was not synced) and clean reopens. After every
// crash, reopen and fault, and every few commands, the invariants of
// tests/reliability/invariants.h are checked.
//
// The seed decides the commands, the clock, the faults and the crash points;
// a failure prints it. LOYALTY_SIM_SEED=S replays one seed,
// LOYALTY_SIM_SEEDS=N runs N seeds, LOYALTY_SIM_STEPS=K sets the steps per
// seed. RocksDB's own background work (flushes, compactions) is the one
// thing outside the seed's control.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/open_with_hooks.h"
#include "gtest/gtest.h"
#include "ledger/testing/fault_fs.h"
#include "loyalty/engine.h"
#include "testing/temp_dir.h"
#include "tests/reliability/invariants.h"
#include "tests/reliability/workload.h"

namespace loyalty {
namespace {

using ::loyalty::testing::AckedCommand;
using ::loyalty::testing::FaultFileSystem;
using ::loyalty::testing::TempDir;
using ::loyalty::testing::Workload;

constexpr int64_t kStartUs = 1704067200LL * 1000000;  // 2024-01-01T00:00:00Z

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

bool IsRejection(absl::StatusCode code) {
  return code == absl::StatusCode::kInvalidArgument ||
         code == absl::StatusCode::kFailedPrecondition || code == absl::StatusCode::kNotFound ||
         code == absl::StatusCode::kAlreadyExists || code == absl::StatusCode::kAborted ||
         code == absl::StatusCode::kOutOfRange;
}

struct SimulationFigures {
  uint64_t commands = 0;
  uint64_t acknowledged = 0;
  uint64_t faults = 0;
  uint64_t failed_by_faults = 0;
  uint64_t crashes = 0;
  uint64_t reopens = 0;
  uint64_t checks = 0;
};

class Simulation {
 public:
  explicit Simulation(uint64_t seed)
      : seed_(seed),
        random_(seed),
        fs_(std::make_shared<FaultFileSystem>()),
        env_(loyalty::testing::NewFaultEnv(fs_)),
        clock_(kStartUs) {
    // The simulated disk keeps what was synced; the real one need not.
    fs_->real_syncs.store(false);
    options_.ledger.clock = &clock_;
    options_.checkpoint_interval_events = 1 + random_() % 60;
    // Enrolments carry personal data, sealed under a master key (docs/privacy.md).
    options_.master_key = MasterKeyFromBytes(std::string(kMasterKeyBytes, 'k'));
    for (int w = 0; w < 3; ++w) {
      workloads_.emplace_back(absl::StrCat("s", seed, "-w", w), kStartUs);
    }
  }

  absl::Status Run(uint64_t steps, SimulationFigures* figures) {
    if (absl::Status opened = Open(); !opened.ok()) return opened;
    for (uint64_t step = 0; step < steps; ++step) {
      step_ = step;
      clock_.Advance(static_cast<int64_t>(random_() % 5000000));
      const uint64_t roll = random_() % 100;
      absl::Status status;
      if (roll < 82) {
        status = Command(figures);
      } else if (roll < 90) {
        status = Fault(figures);
      } else if (roll < 96) {
        status = Crash(figures);
      } else {
        ++figures->reopens;
        status = Reopen();
      }
      if (status.ok() && step % 25 == 24) status = Check(figures);
      if (!status.ok()) return Failed(status);
    }
    fs_->ClearFaults();
    if (absl::Status reopened = Reopen(); !reopened.ok()) return Failed(reopened);
    if (absl::Status checked = Check(figures); !checked.ok()) return Failed(checked);
    return absl::OkStatus();
  }

 private:
  absl::Status Failed(const absl::Status& status) {
    return absl::Status(status.code(), absl::StrCat("seed ", seed_, ", step ", step_, ": ",
                                                    status.message()));
  }

  absl::Status Open() {
    internal::StorageHooks hooks;
    hooks.env = env_.get();
    // Small memtables: flushes and log switches happen within a short run.
    hooks.write_buffer_bytes = 256 << 10;
    auto opened = internal::OpenEngineWithHooks(dir_.Sub("db"), options_, hooks);
    if (!opened.ok()) return opened.status();
    engine_ = std::move(*opened);
    faulted_since_open_ = false;
    return absl::OkStatus();
  }

  absl::Status Reopen() {
    engine_.reset();
    if (absl::Status opened = Open(); !opened.ok()) return opened;
    return absl::OkStatus();
  }

  absl::Status Check(SimulationFigures* figures) {
    ++figures->checks;
    return loyalty::testing::CheckInvariants(*engine_, acked_);
  }

  absl::Status Command(SimulationFigures* figures) {
    ++figures->commands;
    const uint32_t writer = static_cast<uint32_t>(random_() % workloads_.size());
    Workload::Step step = workloads_[writer].Next(*engine_, random_);
    if (step.result.ok()) {
      ++figures->acknowledged;
      if (!step.result->sequences.empty()) {
        acked_.push_back({step.result->sequences.front(), step.result->sequences.back(),
                          writer, step.id});
      }
      return absl::OkStatus();
    }
    if (IsRejection(step.result.status().code()) &&
        !absl::StrContains(step.result.status().message(), "storage failure")) {
      return absl::OkStatus();
    }
    // Anything else is the disk's doing: allowed while it is faulty, and
    // after a fault since the last open as the ledger's "appending stopped"
    // (a fault that hit RocksDB's background work, a flush or compaction,
    // shows at the next write). Then reopening resumes.
    if (faulted_) {
      ++figures->failed_by_faults;
      return absl::OkStatus();
    }
    if (faulted_since_open_ &&
        absl::StrContains(step.result.status().message(), "appending stopped after a storage")) {
      ++figures->failed_by_faults;
      ++figures->reopens;
      return Reopen();
    }
    return absl::InternalError(absl::StrCat("command ", step.id, " failed on a healthy disk: ",
                                            step.result.status().message()));
  }

  // A fault for a few commands, then cleared; the engine is reopened if
  // anything failed meanwhile (a ledger stops appending after a storage
  // error until reopened).
  absl::Status Fault(SimulationFigures* figures) {
    ++figures->faults;
    std::atomic<bool>* faults[] = {&fs_->fail_writes, &fs_->fail_syncs, &fs_->fail_reads,
                                   &fs_->no_space, &fs_->read_only};
    faults[random_() % 5]->store(true);
    faulted_ = true;
    faulted_since_open_ = true;
    const uint64_t failed_before = figures->failed_by_faults;
    const uint64_t commands = 1 + random_() % 4;
    for (uint64_t i = 0; i < commands; ++i) {
      if (absl::Status status = Command(figures); !status.ok()) return status;
    }
    fs_->ClearFaults();
    // Drawn whatever happened, so that the seed's later choices do not
    // depend on how the disk's failures fell.
    const bool reopen_anyway = random_() % 4 == 0;
    if (figures->failed_by_faults != failed_before || reopen_anyway) {
      ++figures->reopens;
      if (absl::Status reopened = Reopen(); !reopened.ok()) return reopened;
    }
    faulted_ = false;
    return Check(figures);
  }

  absl::Status Crash(SimulationFigures* figures) {
    ++figures->crashes;
    fs_->Crash();
    engine_.reset();
    fs_->DropUnsyncedData();
    if (absl::Status opened = Open(); !opened.ok()) return opened;
    return Check(figures);
  }

  const uint64_t seed_;
  std::mt19937_64 random_;
  uint64_t step_ = 0;
  TempDir dir_;
  std::shared_ptr<FaultFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  ManualClock clock_;
  EngineOptions options_;
  std::unique_ptr<Engine> engine_;
  std::vector<Workload> workloads_;
  std::vector<AckedCommand> acked_;
  bool faulted_ = false;             // a fault is on now
  bool faulted_since_open_ = false;  // a fault was on since the engine opened
};

TEST(SimulationTest, RandomWorkloadsWithFaultsAndCrashesKeepTheInvariants) {
  const uint64_t one_seed = EnvOr("LOYALTY_SIM_SEED", 0);
  const uint64_t seeds = one_seed != 0 ? 1 : EnvOr("LOYALTY_SIM_SEEDS", 3);
  const uint64_t steps = EnvOr("LOYALTY_SIM_STEPS", 200);
  SimulationFigures figures;
  for (uint64_t i = 0; i < seeds; ++i) {
    const uint64_t seed = one_seed != 0 ? one_seed : 1000 + i;
    Simulation simulation(seed);
    const absl::Status status = simulation.Run(steps, &figures);
    ASSERT_TRUE(status.ok()) << status << "\nreplay with LOYALTY_SIM_SEED=" << seed
                             << " LOYALTY_SIM_STEPS=" << steps;
  }
  std::printf(
      "simulation: %llu seeds x %llu steps: %llu commands (%llu acknowledged), %llu faults "
      "(%llu commands failed by them), %llu crashes, %llu reopens, %llu invariant checks\n",
      static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(steps),
      static_cast<unsigned long long>(figures.commands),
      static_cast<unsigned long long>(figures.acknowledged),
      static_cast<unsigned long long>(figures.faults),
      static_cast<unsigned long long>(figures.failed_by_faults),
      static_cast<unsigned long long>(figures.crashes),
      static_cast<unsigned long long>(figures.reopens),
      static_cast<unsigned long long>(figures.checks));
  // The run must have exercised what it claims to.
  EXPECT_GT(figures.acknowledged, seeds * steps / 3);
  EXPECT_GT(figures.crashes, 0u);
  EXPECT_GT(figures.failed_by_faults, 0u);
}

}  // namespace
}  // namespace loyalty
