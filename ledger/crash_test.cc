// Kill -9 in the middle of appends: every acknowledged event survives, in
// order and gap-free, and the chain verifies.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loyalty/ledger.h"
#include "testing/events.h"
#include "testing/temp_dir.h"

namespace loyalty {
namespace {

using ::loyalty::testing::Purchase;
using ::loyalty::testing::TempDir;

// What the child reports for each acknowledged append; small enough that
// one write(2) to a pipe is atomic.
struct Ack {
  uint64_t sequence;
  uint32_t thread;
  uint32_t index;
};

// Child process: appends from several threads until killed.
[[noreturn]] void RunWriter(const std::string& path, int round, int write_fd) {
  auto opened = Ledger::Open(path, LedgerOptions());
  if (!opened.ok()) _exit(3);
  std::unique_ptr<Ledger> ledger = std::move(*opened);
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t i = 0;; ++i) {
        AppendBatch batch;
        // Batches of 1 to 3 events, so atomicity of multi-event batches is exercised.
        const uint32_t size = 1 + i % 3;
        for (uint32_t k = 0; k < size; ++k) {
          batch.Add(Purchase(absl::StrCat("M", t), absl::StrCat("r", round, "-t", t, "-", i, "-", k),
                             100 + k));
        }
        auto result = ledger->Append(batch);
        if (!result.ok()) _exit(4);
        Ack ack{result->sequences.back(), static_cast<uint32_t>(t), i};
        if (write(write_fd, &ack, sizeof(ack)) != sizeof(ack)) _exit(5);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  _exit(0);
}

TEST(CrashTest, AcknowledgedAppendsSurviveKill9) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  std::mt19937 random(20261125);
  constexpr int kRounds = 12;
  uint64_t total_acked = 0;
  // Created first: the rounds kill appenders (a kill during the creation
  // itself is the hostile campaign's, tests/hostile/storage_test.cc).
  ASSERT_TRUE(Ledger::Open(path, LedgerOptions()).ok());
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      RunWriter(path, round, fds[1]);
    }
    close(fds[1]);
    // Even rounds kill at a random moment from the fork (often while the
    // writer opens the ledger); odd rounds once the writer has appended, so
    // that kills land among appends however slow the machine is.
    std::vector<Ack> acks;
    if (round % 2 == 1) {
      Ack first;
      if (read(fds[0], &first, sizeof(first)) == sizeof(first)) acks.push_back(first);
      std::this_thread::sleep_for(std::chrono::milliseconds(random() % 60));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(30 + random() % 120));
    }
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int wait_status = 0;
    ASSERT_EQ(waitpid(child, &wait_status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wait_status)) << "writer exited early with " << wait_status;

    Ack ack;
    while (read(fds[0], &ack, sizeof(ack)) == sizeof(ack)) acks.push_back(ack);
    close(fds[0]);
    total_acked += acks.size();

    auto opened = Ledger::Open(path, LedgerOptions());
    ASSERT_TRUE(opened.ok()) << opened.status();
    Ledger& ledger = **opened;
    const ChainHead head = ledger.Head();
    ASSERT_TRUE(ledger.Verify(1, head.sequence).ok()) << ledger.Verify(1, head.sequence);
    for (const Ack& a : acks) {
      ASSERT_LE(a.sequence, head.sequence);
      auto events = ledger.Read(a.sequence, 1);
      ASSERT_TRUE(events.ok());
      ASSERT_EQ(events->size(), 1u);
      // The acknowledged batch's last event is where the ledger said it was.
      const uint32_t last = a.index % 3;
      EXPECT_EQ((*events)[0].idempotency_key(),
                absl::StrCat("purchase/r", round, "-t", a.thread, "-", a.index, "-", last));
    }
    // Batches are whole: every batch that is in has all of its events.
    absl::flat_hash_map<std::string, int> parts;
    ASSERT_TRUE(ledger
                    .Scan(1, head.sequence,
                          [&](const v1::Envelope& e) {
                            const std::string& key = e.idempotency_key();
                            parts[key.substr(0, key.rfind('-'))]++;
                            return absl::OkStatus();
                          })
                    .ok());
    for (const auto& [batch, count] : parts) {
      const int index = std::stoi(batch.substr(batch.rfind('-') + 1));
      EXPECT_EQ(count, 1 + index % 3) << batch;
    }
  }
  EXPECT_GT(total_acked, 0u);
  RecordProperty("kills", kRounds);
  RecordProperty("acknowledged_batches", static_cast<int>(total_acked));
}

}  // namespace
}  // namespace loyalty
