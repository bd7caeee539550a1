// The idempotency family keeps its memtable in a hash table (a choice of
// ledger/rocksdb_options.cc, for the append path's speed). These tests pin
// what must not change with it: retries are recognised whether their keys
// are in the memtable, in flushed files or in a log replayed at open, and a
// database written with RocksDB's default skip-list memtables (as every
// ledger was before) opens, verifies and deduplicates as before.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/rocksdb_ledger.h"
#include "loyalty/ledger.h"
#include "rocksdb/db.h"
#include "testing/events.h"
#include "testing/raw_ledger_db.h"
#include "testing/temp_dir.h"

namespace loyalty {
namespace {

using ::loyalty::testing::Purchase;
using ::loyalty::testing::TempDir;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr int kBatches = 300;
constexpr int kBatchEvents = 10;

// Batch `b` of the workload: kBatchEvents purchases over 37 members, keys
// P<b>-<i>. `amount_offset` changes the content without changing the keys.
AppendBatch WorkloadBatch(int b, int64_t amount_offset = 0) {
  AppendBatch batch;
  for (int i = 0; i < kBatchEvents; ++i) {
    batch.Add(Purchase(absl::StrCat("M", (b * kBatchEvents + i) % 37), absl::StrCat("P", b, "-", i),
                       1000 + b + amount_offset));
  }
  return batch;
}

std::vector<uint64_t> BatchSequences(int b) {
  std::vector<uint64_t> sequences;
  for (int i = 0; i < kBatchEvents; ++i) sequences.push_back(uint64_t(b) * kBatchEvents + i + 1);
  return sequences;
}

// Retries of every seventh batch come back with their original positions and
// write nothing; a retry with other content is refused.
void ExpectRetriesRecognised(Ledger& ledger) {
  const uint64_t head = ledger.Head().sequence;
  for (int b = 0; b < kBatches; b += 7) {
    absl::StatusOr<AppendResult> retried = ledger.Append(WorkloadBatch(b));
    ASSERT_TRUE(retried.ok()) << "batch " << b << ": " << retried.status();
    EXPECT_TRUE(retried->deduplicated) << "batch " << b;
    EXPECT_THAT(retried->sequences, ElementsAreArray(BatchSequences(b))) << "batch " << b;
  }
  absl::StatusOr<AppendResult> changed = ledger.Append(WorkloadBatch(kBatches / 2, 1));
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(changed.status().message(), HasSubstr("for different content"));
  EXPECT_EQ(ledger.Head().sequence, head);
}

TEST(IdempotencyMemtableTest, RetriesAreRecognisedAcrossMemtablesFlushesAndReopen) {
  TempDir dir;
  // 64 KiB memtables: the workload's idempotency records fill dozens of
  // them, so that its keys end up in flushed files, in immutable memtables
  // and in the live one.
  internal::StorageHooks hooks;
  hooks.write_buffer_bytes = 64 << 10;
  {
    auto ledger = internal::RocksDbLedger::Open(dir.Sub("db"), LedgerOptions(), hooks);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    for (int b = 0; b < kBatches; ++b) {
      absl::StatusOr<AppendResult> appended = (*ledger)->Append(WorkloadBatch(b));
      ASSERT_TRUE(appended.ok()) << "batch " << b << ": " << appended.status();
      ASSERT_FALSE(appended->deduplicated);
      ASSERT_THAT(appended->sequences, ElementsAreArray(BatchSequences(b)));
    }
    ExpectRetriesRecognised(**ledger);
  }
  int table_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.Sub("db"))) {
    if (entry.path().extension() == ".sst") ++table_files;
  }
  EXPECT_GT(table_files, 4) << "the memtables were expected to be flushed";
  // Reopened: the tail of the log is replayed into new memtables.
  auto reopened = internal::RocksDbLedger::Open(dir.Sub("db"), LedgerOptions(), hooks);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  ExpectRetriesRecognised(**reopened);
  EXPECT_TRUE((*reopened)->Verify(1, ~uint64_t{0}).ok());
  // A new batch after all that takes the next positions.
  absl::StatusOr<AppendResult> next = (*reopened)->Append(WorkloadBatch(kBatches));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_FALSE(next->deduplicated);
  EXPECT_THAT(next->sequences, ElementsAreArray(BatchSequences(kBatches)));
}

// Opens the ledger's directory as plain RocksDB with default column family
// options (skip-list memtables, no prefix extractor, no filters), as ledgers
// were written before: the log is replayed into skip lists and flushed into
// files built with those options, and the options file records them.
void RewriteWithDefaultOptions(const std::string& path) {
  testing::RawLedgerDb raw(path);
  for (rocksdb::ColumnFamilyHandle* handle : raw.families()) {
    ASSERT_TRUE(raw.db().Flush(rocksdb::FlushOptions(), handle).ok());
  }
  ASSERT_TRUE(raw.Close().ok());
}

TEST(IdempotencyMemtableTest, OpensADatabaseWrittenWithSkipListMemtables) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  {
    auto ledger = Ledger::Open(path, LedgerOptions());
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    for (int b = 0; b < kBatches; ++b) ASSERT_TRUE((*ledger)->Append(WorkloadBatch(b)).ok());
  }
  RewriteWithDefaultOptions(path);

  auto ledger = Ledger::Open(path, LedgerOptions());
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  EXPECT_EQ((*ledger)->Head().sequence, uint64_t{kBatches} * kBatchEvents);
  EXPECT_TRUE((*ledger)->Verify(1, ~uint64_t{0}).ok());
  ExpectRetriesRecognised(**ledger);
  absl::StatusOr<uint64_t> version = (*ledger)->StreamVersion("member-M5");
  ASSERT_TRUE(version.ok()) << version.status();
  // 3000 events over 37 members in turn: M0 to M2 get 82, the others 81.
  EXPECT_EQ(*version, 81u);
  absl::StatusOr<AppendResult> next = (*ledger)->Append(WorkloadBatch(kBatches));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_THAT(next->sequences, ElementsAreArray(BatchSequences(kBatches)));
}

}  // namespace
}  // namespace loyalty
