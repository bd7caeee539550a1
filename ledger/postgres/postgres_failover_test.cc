// The PostgreSQL ledger through a failover under load, on the replicated
// cluster of scripts/pg-cluster.sh (docs/replication.md), which ctest runs
// it under:
//   scripts/pg-cluster.sh -- build/ledger/postgres_failover_test
// Appenders append single-event batches through the multi-host URI; the
// primary's process group is killed with SIGKILL (the machine lost) while
// they run; each appender retries what failed with the same idempotency key
// until it is acknowledged. Then every acknowledged event is in the log
// exactly once, at the sequence it was acknowledged at, the log is gap-free
// and its chain verifies. LOYALTY_FAILOVER_APPENDERS and
// LOYALTY_FAILOVER_EVENTS size it.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/postgres/postgres_ledger.h"
#include "testing/env.h"
#include "testing/events.h"
#include "testing/log_keys.h"

namespace loyalty::internal {
namespace {

using ::loyalty::testing::Env;
using ::loyalty::testing::EnvInt;

using Clock = std::chrono::steady_clock;

TEST(PostgresFailoverTest, EveryAcknowledgedAppendSurvivesAFailoverExactlyOnce) {
  const std::string uri = Env("LOYALTY_PG_URI");
  const std::string cluster = Env("LOYALTY_PG_CLUSTER");
  ASSERT_FALSE(uri.empty() || cluster.empty()) << "run under scripts/pg-cluster.sh";
  const int appenders = EnvInt("LOYALTY_FAILOVER_APPENDERS", 4);
  const int events_each = EnvInt("LOYALTY_FAILOVER_EVENTS", 150);

  std::mutex mu;
  std::map<std::string, uint64_t> acknowledged;  // idempotency key -> sequence
  std::atomic<int> appended{0};
  std::atomic<int> retries{0};
  std::atomic<int64_t> first_after_kill_us{-1};
  std::atomic<bool> killed{false};
  std::atomic<int> finished{0};
  Clock::time_point killed_at;
  std::vector<std::thread> threads;
  for (int t = 0; t < appenders; ++t) {
    threads.emplace_back([&, t] {
      struct Finished {
        std::atomic<int>& count;
        ~Finished() { ++count; }
      } counted{finished};
      absl::StatusOr<std::unique_ptr<Ledger>> ledger = PostgresLedger::Open(uri, LedgerOptions());
      ASSERT_TRUE(ledger.ok()) << ledger.status();
      for (int i = 0; i < events_each; ++i) {
        AppendBatch batch;
        batch.Add(testing::Purchase(absl::StrCat("F", t), absl::StrCat("f", t, "-", i), 100 + i));
        const std::string key = batch.events()[0].idempotency_key();
        const Clock::time_point deadline = Clock::now() + std::chrono::minutes(4);
        absl::StatusOr<AppendResult> result = (*ledger)->Append(batch);
        // A lost primary (Unavailable: committed or not, unknown) or a head
        // moved under a stale view (Aborted, fenced): the same batch again.
        while (!result.ok() &&
               (absl::IsUnavailable(result.status()) || absl::IsAborted(result.status())) &&
               Clock::now() < deadline) {
          ++retries;
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          result = (*ledger)->Append(batch);
        }
        ASSERT_TRUE(result.ok()) << key << ": " << result.status();
        ASSERT_EQ(result->sequences.size(), 1u);
        {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged[key] = result->sequences[0];
          if (killed.load() && first_after_kill_us.load() < 0) {
            first_after_kill_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                      Clock::now() - killed_at)
                                      .count();
          }
        }
        ++appended;
      }
    });
  }
  // The kill, once a third of the appends are acknowledged.
  while (appended.load() < appenders * events_each / 3 && finished.load() < appenders) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (finished.load() == appenders) {
    for (std::thread& thread : threads) thread.join();
    FAIL() << "the appenders stopped before the kill";
  }
  std::ifstream pgid_file(cluster + "/node1.pgid");
  int pgid = 0;
  pgid_file >> pgid;
  ASSERT_GT(pgid, 0);
  {
    std::lock_guard<std::mutex> lock(mu);
    killed_at = Clock::now();
    killed = true;
  }
  ASSERT_EQ(::kill(-pgid, SIGKILL), 0);
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(acknowledged.size(), static_cast<size_t>(appenders * events_each));

  absl::StatusOr<std::unique_ptr<Ledger>> reader = PostgresLedger::Open(uri, LedgerOptions());
  ASSERT_TRUE(reader.ok()) << reader.status();
  const ChainHead head = (*reader)->Head();
  absl::StatusOr<std::map<std::string, uint64_t>> stored =
      testing::SequencesByKey(**reader, 1, head.sequence);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, acknowledged);
  EXPECT_TRUE((*reader)->Verify(1, head.sequence).ok());
  std::printf("failover under load: %d appenders, %zu events acknowledged, %d retries, first "
              "append acknowledged %.1f s after the kill\n",
              appenders, acknowledged.size(), retries.load(),
              static_cast<double>(first_after_kill_us.load()) / 1e6);
}

}  // namespace
}  // namespace loyalty::internal
