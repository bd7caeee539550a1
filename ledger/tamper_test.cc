// Altering stored events behind the ledger's back is found by Verify.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/keys.h"
#include "loyalty/ledger.h"
#include "rocksdb/db.h"
#include "testing/events.h"
#include "testing/raw_ledger_db.h"
#include "testing/temp_dir.h"

namespace loyalty {
namespace {

using ::loyalty::testing::Purchase;
using ::loyalty::testing::RawLedgerDb;
using ::loyalty::testing::TempDir;
using ::testing::HasSubstr;

class TamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ledger = Ledger::Open(path_, LedgerOptions());
    ASSERT_TRUE(ledger.ok());
    for (int i = 1; i <= 10; ++i) {
      AppendBatch batch;
      batch.Add(Purchase("M1", absl::StrCat("P", i), 1000 + i));
      ASSERT_TRUE((*ledger)->Append(batch).ok());
    }
    ASSERT_TRUE((*ledger)->Verify(1, 10).ok());
  }

  absl::Status VerifyAll() {
    auto ledger = Ledger::Open(path_, LedgerOptions());
    if (!ledger.ok()) return ledger.status();
    return (*ledger)->Verify(1, ~uint64_t{0});
  }

  TempDir dir_;
  std::string path_ = dir_.Sub("db");
};

TEST_F(TamperTest, ChangedByteIsFoundAtItsSequence) {
  {
    RawLedgerDb raw(path_);
    std::string value = raw.Get(4);
    value[value.size() - 32 - 3] ^= 0x01;  // in the event's bytes, before its hash
    raw.Put(4, value);
  }
  absl::Status status = VerifyAll();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("sequence 4: its bytes do not match its chain hash"));
}

TEST_F(TamperTest, ChangedStoredHashIsFoundAtItsSequence) {
  {
    RawLedgerDb raw(path_);
    std::string value = raw.Get(5);
    value[value.size() - 1] ^= 0x80;
    raw.Put(5, value);
  }
  absl::Status status = VerifyAll();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("sequence 5: its bytes do not match its chain hash"));
}

TEST_F(TamperTest, TruncatedValueIsFound) {
  { RawLedgerDb(path_).Put(2, std::string(20, 'x')); }
  absl::Status status = VerifyAll();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("sequence 2: chain hash missing"));
}

TEST_F(TamperTest, RemovedEventIsFoundAtItsSequence) {
  { RawLedgerDb(path_).Delete(6); }
  absl::Status status = VerifyAll();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("sequence 6: missing"));
}

TEST_F(TamperTest, RemovedLastEventIsFound) {
  { RawLedgerDb(path_).Delete(10); }
  absl::Status status = VerifyAll();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("sequence 10: missing"));
}

TEST_F(TamperTest, SwappedEventsAreFoundAtTheFirst) {
  {
    RawLedgerDb raw(path_);
    std::string third = raw.Get(3);
    std::string seventh = raw.Get(7);
    raw.Put(3, seventh);
    raw.Put(7, third);
  }
  absl::Status status = VerifyAll();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("sequence 3:"));
}

// The reads check, after decoding, what the group commit checked before
// writing: each event names its own sequence and continues the chain.
TEST_F(TamperTest, ReadsRefuseAnEventStoredAtAnotherSequence) {
  {
    RawLedgerDb raw(path_);
    std::string third = raw.Get(3);
    raw.Put(3, raw.Get(7));
    raw.Put(7, third);
  }
  auto ledger = Ledger::Open(path_, LedgerOptions());
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  auto read = (*ledger)->Read(1, 10);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(read.status().message(), HasSubstr("sequence 3: the event says it is 7"));
}

TEST_F(TamperTest, ReadsRefuseAnEventThatDoesNotContinueTheChain) {
  // Event 4 of another log with another third event: its sequence is right,
  // its previous_hash is that other log's.
  const std::string other_path = dir_.Sub("other");
  {
    auto other = Ledger::Open(other_path, LedgerOptions());
    ASSERT_TRUE(other.ok());
    for (int i = 1; i <= 4; ++i) {
      AppendBatch batch;
      batch.Add(Purchase("M1", absl::StrCat("P", i), i == 3 ? 7 : 1000 + i));
      ASSERT_TRUE((*other)->Append(batch).ok());
    }
  }
  std::string foreign;
  { foreign = RawLedgerDb(other_path).Get(4); }
  { RawLedgerDb(path_).Put(4, foreign); }
  auto ledger = Ledger::Open(path_, LedgerOptions());
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  auto read = (*ledger)->Read(1, 10);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(read.status().message(),
              HasSubstr("sequence 4: previous_hash does not continue the chain"));
  // A read that starts at the event has nothing before it to compare with:
  // Verify is what checks every link.
  EXPECT_TRUE((*ledger)->Read(4, 1).ok());
  EXPECT_EQ((*ledger)->Verify(1, 10).code(), absl::StatusCode::kDataLoss);
}

// Long ranges are read and checked on two threads in chunks of thousands of
// events: the first bad sequence is still the one named, wherever the
// damage falls relative to the chunks, and a clean long log verifies.
TEST(LongLogTamperTest, FirstBadSequenceIsNamedAcrossChunks) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  constexpr int kEvents = 40000;
  {
    LedgerOptions options;
    options.sync = false;
    auto ledger = Ledger::Open(path, options);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    for (int first = 1; first <= kEvents; first += 1000) {
      AppendBatch batch;
      for (int i = first; i < first + 1000; ++i) {
        batch.Add(Purchase(absl::StrCat("M", i % 97), absl::StrCat("P", i), 1000 + i));
      }
      ASSERT_TRUE((*ledger)->Append(batch).ok());
    }
    EXPECT_TRUE((*ledger)->Verify(1, kEvents).ok()) << (*ledger)->Verify(1, kEvents);
    EXPECT_TRUE((*ledger)->Verify(12345, 39999).ok()) << (*ledger)->Verify(12345, 39999);
  }
  auto verify = [&](uint64_t from) {
    auto ledger = Ledger::Open(path, LedgerOptions());
    if (!ledger.ok()) return ledger.status();
    return (*ledger)->Verify(from, ~uint64_t{0});
  };
  {
    RawLedgerDb raw(path);
    std::string value = raw.Get(35000);
    value[value.size() - 32 - 3] ^= 0x01;
    raw.Put(35000, value);
  }
  absl::Status status = verify(1);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("sequence 35000: its bytes do not match"));
  // A gap before it, in a chunk the checker has not seen when the scan
  // meets the gap: the gap is the first damage and is the one named.
  { RawLedgerDb(path).Delete(20500); }
  status = verify(1);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("sequence 20500: missing"));
  // Damage early in the range, then the scan goes on to the gap: the
  // checker's earlier failure wins.
  {
    RawLedgerDb raw(path);
    std::string value = raw.Get(4097);
    value[value.size() - 1] ^= 0x80;
    raw.Put(4097, value);
  }
  status = verify(1);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("sequence 4097: its bytes do not match"));
  // A range that starts after the early damage meets the gap first.
  status = verify(5000);
  EXPECT_THAT(status.message(), HasSubstr("sequence 20500: missing"));
}

TEST_F(TamperTest, EventAddedBeyondTheHeadIsFound) {
  {
    RawLedgerDb raw(path_);
    raw.Put(11, raw.Get(10));
  }
  absl::Status status = VerifyAll();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("sequence 11"));
}

TEST(LedgerFormatTest, ADirectoryOfTheFirstFormatIsRefusedClearly) {
  // Format 1 kept chain hashes in a "chain" column family.
  TempDir dir;
  const std::string path = dir.Sub("db");
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name : {"default", "events", "chain", "streams", "idempotency", "meta"}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, path, families, &handles, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[5], "format", "loyalty-ledger/1").ok());
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
    delete db;
  }
  auto opened = Ledger::Open(path, LedgerOptions());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(opened.status().message(), HasSubstr("ledger format"));
}

}  // namespace
}  // namespace loyalty
