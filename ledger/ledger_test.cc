// What only the RocksDB ledger has: a directory. The behaviour every
// backend shares is pinned in ledger_backends_test.cc.
#include "loyalty/ledger.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/events.h"
#include "testing/temp_dir.h"

namespace loyalty {
namespace {

using ::loyalty::testing::Purchase;
using ::loyalty::testing::TempDir;
using ::loyalty::testing::WriteAheadLogBytes;
using ::testing::HasSubstr;

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Ledger::Open(dir_.Sub("db"), LedgerOptions());
    ASSERT_TRUE(opened.ok()) << opened.status();
    ledger_ = std::move(*opened);
  }

  TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerTest, SecondOpenOfTheSameDirectoryIsRefused) {
  auto second = Ledger::Open(dir_.Sub("db"), LedgerOptions());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("in use"));
}

// A writer flushes its memtables as it closes, so the next open (a
// reader's) reads table files instead of replaying the write-ahead log into
// memory.
TEST_F(LedgerTest, AClosedWriterLeavesNoWriteAheadLogToReplay) {
  for (int i = 0; i < 200; ++i) {
    AppendBatch batch;
    batch.Add(Purchase("M1", absl::StrCat("P", i), 100 + i));
    ASSERT_TRUE(ledger_->Append(batch).ok());
  }
  const ChainHead head = ledger_->Head();
  EXPECT_GT(WriteAheadLogBytes(dir_.Sub("db")), 0u);
  ledger_.reset();
  EXPECT_EQ(WriteAheadLogBytes(dir_.Sub("db")), 0u);
  LedgerOptions read_only;
  read_only.read_only = true;
  absl::StatusOr<std::unique_ptr<Ledger>> reader = Ledger::Open(dir_.Sub("db"), read_only);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->Head().hash, head.hash);
  EXPECT_TRUE((*reader)->Verify(1, head.sequence).ok());
}

TEST(LedgerOpenTest, MissingLedgerWithoutCreateIsInvalidArgument) {
  TempDir dir;
  LedgerOptions options;
  options.create_if_missing = false;
  auto opened = Ledger::Open(dir.Sub("none"), options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(opened.status().message(), HasSubstr("no ledger"));
}

}  // namespace
}  // namespace loyalty
