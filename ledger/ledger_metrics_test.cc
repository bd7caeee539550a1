// LedgerMetrics: what the append path counts.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/ledger.h"
#include "loyalty/metrics.h"
#include "testing/events.h"
#include "testing/temp_dir.h"

namespace loyalty {
namespace {

using ::loyalty::testing::kJan2024Us;
using ::loyalty::testing::Purchase;
using ::loyalty::testing::TempDir;

std::unique_ptr<Ledger> OpenLedger(const std::string& directory, bool sync, const Clock* clock) {
  LedgerOptions options;
  options.sync = sync;
  options.clock = clock;
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(directory, options);
  EXPECT_TRUE(ledger.ok()) << ledger.status();
  return ledger.ok() ? std::move(*ledger) : nullptr;
}

// Appends `batches` batches of `events_per_batch` purchases, one after the
// other, with ids from `first_id` on.
void AppendBatches(Ledger& ledger, int batches, int events_per_batch, int first_id = 0) {
  int id = first_id;
  for (int b = 0; b < batches; ++b) {
    AppendBatch batch;
    for (int e = 0; e < events_per_batch; ++e, ++id) {
      batch.Add(Purchase(absl::StrCat("M", id % 7), absl::StrCat("P", id), 100 + id));
    }
    absl::StatusOr<AppendResult> result = ledger.Append(batch);
    ASSERT_TRUE(result.ok()) << result.status();
  }
}

// The bucket of `histogram` that counts `value`.
uint64_t BucketCount(const HistogramSnapshot& histogram, int64_t value) {
  size_t i = 0;
  while (i < histogram.upper_bounds.size() && value > histogram.upper_bounds[i]) ++i;
  return histogram.bucket_counts[i];
}

class LedgerMetricsTest : public ::testing::Test {
 protected:
  TempDir dir_;
  ManualClock clock_{kJan2024Us};
};

TEST_F(LedgerMetricsTest, BatchesOfKnownSizeMoveTheCountersByTheirSizes) {
  std::unique_ptr<Ledger> ledger = OpenLedger(dir_.Sub("db"), /*sync=*/false, &clock_);
  ASSERT_NE(ledger, nullptr);
  const LedgerMetrics empty = ledger->Metrics();
  EXPECT_EQ(empty.appends_total, 0u);
  EXPECT_EQ(empty.append_batch_events.count, 0u);

  constexpr int kBatches = 6;
  constexpr int kEvents = 3;
  AppendBatches(*ledger, kBatches, kEvents);
  const LedgerMetrics m = ledger->Metrics();
  EXPECT_EQ(m.appends_total, 6u);
  EXPECT_EQ(m.appends_deduplicated_total, 0u);
  EXPECT_EQ(m.events_appended_total, 18u);
  EXPECT_EQ(m.append_errors_total, 0u);
  EXPECT_TRUE(m.append_errors_by_code.empty());
  EXPECT_EQ(m.append_batch_events.count, 6u);
  EXPECT_EQ(m.append_batch_events.sum, 18);
  EXPECT_EQ(BucketCount(m.append_batch_events, kEvents), 6u);  // all in (2, 4]
  EXPECT_EQ(m.append_latency_us.count, 6u);
  // One appender at a time: every append is a group of its own.
  EXPECT_EQ(m.group_commits_total, 6u);
  EXPECT_EQ(m.group_commit_events.count, 6u);
  EXPECT_EQ(m.group_commit_events.sum, 18);
  EXPECT_GT(m.bytes_written_total, 18u * 100);  // each event is over 100 bytes
  EXPECT_EQ(m.head_sequence, 18u);
  // Unsynced appends never sync.
  EXPECT_EQ(m.wal_syncs_total, 0u);
  EXPECT_EQ(m.wal_sync_latency_us.count, 0u);
  // The write-ahead log and RocksDB's files are in the directory.
  EXPECT_GT(m.directory_bytes, m.bytes_written_total);
  EXPECT_GT(m.memtable_bytes, 0u);
}

TEST_F(LedgerMetricsTest, SyncedAppendsCountOneSyncEachWhenAlone) {
  std::unique_ptr<Ledger> ledger = OpenLedger(dir_.Sub("db"), /*sync=*/true, &clock_);
  ASSERT_NE(ledger, nullptr);
  AppendBatches(*ledger, 4, 2);
  const LedgerMetrics m = ledger->Metrics();
  EXPECT_EQ(m.appends_total, 4u);
  EXPECT_EQ(m.events_appended_total, 8u);
  // Each append waited for its own sync: nobody else was writing.
  EXPECT_EQ(m.wal_syncs_total, 4u);
  EXPECT_EQ(m.wal_sync_latency_us.count, 4u);
  EXPECT_GE(m.wal_sync_latency_us.sum, 0);
}

TEST_F(LedgerMetricsTest, ConcurrentSyncedAppendersShareSyncs) {
  std::unique_ptr<Ledger> ledger = OpenLedger(dir_.Sub("db"), /*sync=*/true, &clock_);
  ASSERT_NE(ledger, nullptr);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ledger, t] { AppendBatches(*ledger, kPerThread, 1, t * 1000); });
  }
  for (std::thread& thread : threads) thread.join();
  const LedgerMetrics m = ledger->Metrics();
  EXPECT_EQ(m.appends_total, 200u);
  EXPECT_EQ(m.events_appended_total, 200u);
  EXPECT_EQ(m.append_batch_events.count, 200u);
  // Every event went out in some group, and no group was synced twice.
  EXPECT_EQ(m.group_commit_events.sum, 200);
  EXPECT_EQ(m.group_commit_events.count, m.group_commits_total);
  EXPECT_GE(m.wal_syncs_total, 1u);
  EXPECT_LE(m.wal_syncs_total, m.group_commits_total);
}

TEST_F(LedgerMetricsTest, FailedAppendsCountAsErrorsAndNothingElse) {
  std::unique_ptr<Ledger> ledger = OpenLedger(dir_.Sub("db"), /*sync=*/false, &clock_);
  ASSERT_NE(ledger, nullptr);
  AppendBatches(*ledger, 2, 1);
  const LedgerMetrics before = ledger->Metrics();

  EXPECT_TRUE(absl::IsInvalidArgument(ledger->Append(AppendBatch()).status()));
  AppendBatch stale;
  stale.Add(Purchase("M1", "P-stale", 100)).ExpectVersion("member-M1", 7);
  EXPECT_TRUE(absl::IsAborted(ledger->Append(stale).status()));
  AppendBatch reused;
  reused.Add(Purchase("M0", "P0", 999));  // P0's key, other content
  EXPECT_TRUE(absl::IsAlreadyExists(ledger->Append(reused).status()));

  const LedgerMetrics after = ledger->Metrics();
  EXPECT_EQ(after.append_errors_total, 3u);
  ASSERT_EQ(after.append_errors_by_code.size(), 3u);
  EXPECT_EQ(after.append_errors_by_code[0].code, absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(after.append_errors_by_code[1].code, absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(after.append_errors_by_code[2].code, absl::StatusCode::kAborted);
  for (const ErrorCount& error : after.append_errors_by_code) EXPECT_EQ(error.count, 1u);
  EXPECT_EQ(after.appends_total, before.appends_total);
  EXPECT_EQ(after.events_appended_total, before.events_appended_total);
  EXPECT_EQ(after.append_batch_events.count, before.append_batch_events.count);
  EXPECT_EQ(after.append_latency_us.count, before.append_latency_us.count);
  EXPECT_EQ(after.group_commits_total, before.group_commits_total);
  EXPECT_EQ(after.bytes_written_total, before.bytes_written_total);
  EXPECT_EQ(after.head_sequence, before.head_sequence);
}

TEST_F(LedgerMetricsTest, RetriesCountAsDeduplicatedAppendsWithoutEvents) {
  std::unique_ptr<Ledger> ledger = OpenLedger(dir_.Sub("db"), /*sync=*/false, &clock_);
  ASSERT_NE(ledger, nullptr);
  AppendBatch batch;
  batch.Add(Purchase("M1", "P1", 100)).Add(Purchase("M1", "P2", 200));
  ASSERT_TRUE(ledger->Append(batch).ok());
  absl::StatusOr<AppendResult> retry = ledger->Append(batch);
  ASSERT_TRUE(retry.ok()) << retry.status();
  ASSERT_TRUE(retry->deduplicated);
  const LedgerMetrics m = ledger->Metrics();
  EXPECT_EQ(m.appends_total, 2u);
  EXPECT_EQ(m.appends_deduplicated_total, 1u);
  EXPECT_EQ(m.events_appended_total, 2u);
  EXPECT_EQ(m.append_batch_events.count, 1u);  // only the append that wrote
  EXPECT_EQ(m.group_commits_total, 1u);
}

TEST_F(LedgerMetricsTest, CountersStartFromZeroAtEveryOpen) {
  {
    std::unique_ptr<Ledger> ledger = OpenLedger(dir_.Sub("db"), false, &clock_);
    ASSERT_NE(ledger, nullptr);
    AppendBatches(*ledger, 3, 1);
  }
  std::unique_ptr<Ledger> ledger = OpenLedger(dir_.Sub("db"), false, &clock_);
  ASSERT_NE(ledger, nullptr);
  const LedgerMetrics m = ledger->Metrics();
  EXPECT_EQ(m.appends_total, 0u);
  EXPECT_EQ(m.head_sequence, 3u);
  EXPECT_GT(m.directory_bytes, 0u);
}

}  // namespace
}  // namespace loyalty
