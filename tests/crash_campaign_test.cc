// The crash campaign: a writer process (tests/reliability/crash_writer.cc:
// an engine with live projections and several concurrent writers, fsync on)
// is killed with SIGKILL at random moments, again and again. After every
// kill the directory is reopened and checked (tests/reliability/invariants.h):
// every acknowledged command is in the log, in order, gap-free; the chain
// verifies; the projections' digests equal a rebuild from zero.
//
// CI runs a short campaign. LOYALTY_CRASH_KILLS=N runs N kills (thousands for
// a long campaign); LOYALTY_CRASH_SEED picks the kill moments and workload.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/engine.h"
#include "testing/temp_dir.h"
#include "tests/reliability/invariants.h"
#include "tests/reliability/workload.h"

namespace loyalty {
namespace {

using ::loyalty::testing::AckedCommand;
using ::loyalty::testing::TempDir;

struct AckRecord {
  uint64_t first_sequence;
  uint64_t last_sequence;
  uint32_t writer;
  uint32_t index;
};

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

// Runs the writer on `path`, kills it `run_ms` after it started (`early`:
// while it may still be opening and recovering) or after it reported ready,
// and returns what it acknowledged. `exited` is set when it ended by itself
// (a failure).
std::vector<AckedCommand> RunAndKill(const std::string& path, const std::string& prefix,
                                     int threads, uint64_t seed, bool early, int run_ms,
                                     std::string* exited) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  const pid_t child = fork();
  if (child < 0) std::abort();
  if (child == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    const std::string threads_text = std::to_string(threads);
    const std::string seed_text = std::to_string(seed);
    // LOYALTY_CRASH_WRITER_BINARY: a copy of the writer, so that a long
    // campaign survives a rebuild of the tree under it.
    const char* writer = std::getenv("LOYALTY_CRASH_WRITER_BINARY");
    if (writer == nullptr || *writer == '\0') writer = LOYALTY_CRASH_WRITER;
    execl(writer, writer, path.c_str(), prefix.c_str(), threads_text.c_str(), seed_text.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  AckRecord record;
  if (!early) {
    // The ready record comes first; it does not come if the writer fails.
    if (read(fds[0], &record, sizeof(record)) != sizeof(record) || record.writer != UINT32_MAX) {
      *exited = "the writer did not get ready (see its stderr)";
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(run_ms));
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFSIGNALED(status)) {
    *exited = absl::StrCat("the writer exited with ", WEXITSTATUS(status),
                           " before it was killed (see its stderr)");
  }
  std::vector<AckedCommand> acked;
  while (read(fds[0], &record, sizeof(record)) == sizeof(record)) {
    if (record.writer == UINT32_MAX) continue;  // the ready record
    acked.push_back({record.first_sequence, record.last_sequence, record.writer,
                     absl::StrCat(prefix, "-t", record.writer, "-", record.index)});
  }
  close(fds[0]);
  return acked;
}

TEST(CrashCampaignTest, AcknowledgedCommandsAndProjectionsSurviveKill9) {
  const uint64_t kills = EnvOr("LOYALTY_CRASH_KILLS", 24);
  const uint64_t seed = EnvOr("LOYALTY_CRASH_SEED", 20261125);
  // A fresh directory now and then keeps each reopen cheap in a long run.
  constexpr uint64_t kKillsPerDirectory = 12;
  constexpr int kThreads = 6;
  std::mt19937_64 random(seed);
  std::printf("crash campaign: %llu kills, seed %llu\n", static_cast<unsigned long long>(kills),
              static_cast<unsigned long long>(seed));

  std::unique_ptr<TempDir> dir;
  uint64_t survived = 0;
  uint64_t acked_total = 0;
  uint64_t events_total = 0;
  for (uint64_t kill = 0; kill < kills; ++kill) {
    if (kill % kKillsPerDirectory == 0) {
      if (dir != nullptr) {
        auto engine = Engine::Open(dir->Sub("db"), EngineOptions());
        ASSERT_TRUE(engine.ok()) << engine.status();
        events_total += (*engine)->ledger().Head().sequence;
      }
      dir = std::make_unique<TempDir>();
    }
    const std::string path = dir->Sub("db");
    // One kill in four lands early, while the writer opens the ledger,
    // recovers and catches its projections up; the others while it
    // appends and checkpoints.
    const bool early = random() % 4 == 0;
    const int run_ms = static_cast<int>(random() % (early ? 60 : 150));
    std::string exited;
    const std::vector<AckedCommand> acked = RunAndKill(path, absl::StrCat("k", kill), kThreads,
                                                       seed + kill, early, run_ms, &exited);
    ASSERT_TRUE(exited.empty()) << exited << " (kill " << kill << ", seed " << seed << ")";
    acked_total += acked.size();

    auto engine = Engine::Open(path, EngineOptions());
    ASSERT_TRUE(engine.ok()) << engine.status() << " (kill " << kill << ", seed " << seed << ")";
    const absl::Status held = testing::CheckInvariants(**engine, acked);
    ASSERT_TRUE(held.ok()) << held << " (kill " << kill << ", seed " << seed << ", "
                           << acked.size() << " acknowledged in that run)";
    ++survived;
  }
  if (dir != nullptr) {
    auto engine = Engine::Open(dir->Sub("db"), EngineOptions());
    ASSERT_TRUE(engine.ok()) << engine.status();
    events_total += (*engine)->ledger().Head().sequence;
  }
  std::printf("crash campaign: %llu kills survived, %llu commands acknowledged, %llu events\n",
              static_cast<unsigned long long>(survived),
              static_cast<unsigned long long>(acked_total),
              static_cast<unsigned long long>(events_total));
  EXPECT_EQ(survived, kills);
  // The kills must have interrupted real work, not idle writers.
  EXPECT_GT(acked_total, kills);
  RecordProperty("kills_survived", static_cast<int>(survived));
  RecordProperty("acknowledged_commands", static_cast<int>(acked_total));
}

// The checker itself: it must notice what a lost or misplaced acknowledged
// command looks like, or the campaign proves nothing.
TEST(CrashCampaignTest, InvariantCheckerNoticesLostAndMisplacedCommands) {
  TempDir dir;
  auto engine = Engine::Open(dir.Sub("db"), EngineOptions());
  ASSERT_TRUE(engine.ok()) << engine.status();
  std::mt19937_64 random(7);
  testing::Workload workload("w", 1704067200LL * 1000000);
  std::vector<AckedCommand> acked;
  absl::Status last_error;
  for (int i = 0; i < 200 && acked.size() < 20; ++i) {
    testing::Workload::Step step = workload.Next(**engine, random);
    if (step.result.ok()) {
      acked.push_back({step.result->sequences.front(), step.result->sequences.back(), 0, step.id});
    } else {
      last_error = step.result.status();
    }
  }
  ASSERT_EQ(acked.size(), 20u) << last_error;
  ASSERT_TRUE(testing::CheckInvariants(**engine, acked).ok());

  std::vector<AckedCommand> lost = acked;
  lost.push_back({acked.back().last_sequence + 1, acked.back().last_sequence + 1, 0, "w-999"});
  EXPECT_THAT(testing::CheckInvariants(**engine, lost).message(),
              ::testing::HasSubstr("is past the head"));

  std::vector<AckedCommand> misplaced = acked;
  std::swap(misplaced[3].id, misplaced[4].id);
  EXPECT_THAT(testing::CheckInvariants(**engine, misplaced).message(),
              ::testing::HasSubstr("should be at sequence"));

  std::vector<AckedCommand> reordered = acked;
  std::swap(reordered[5], reordered[6]);
  EXPECT_THAT(testing::CheckInvariants(**engine, reordered).message(),
              ::testing::HasSubstr("is not after its previous one"));
}

}  // namespace
}  // namespace loyalty
