// What only the RocksDB ledger has: a directory. The behaviour every
// backend shares is pinned in ledger_backends_test.cc.
#include "loyalty/ledger.h"

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/temp_dir.h"

namespace loyalty {
namespace {

using ::loyalty::testing::TempDir;
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
