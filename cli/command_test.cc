#include "cli/command.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::cli {
namespace {

using ::testing::HasSubstr;

TEST(CommandTest, BackendFlagsGoTogetherAndDirectoryCommandsNeedADirectory) {
  GlobalOptions directory;
  directory.db_directory = "./loyalty-data";
  EXPECT_TRUE(CheckBackendFlags("demo", directory).ok());
  directory.checkpoint_directory = "cp";
  absl::Status misplaced = CheckBackendFlags("head", directory);
  EXPECT_EQ(misplaced.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(misplaced.message(), HasSubstr("--checkpoint-dir \"cp\""));

  GlobalOptions postgres;
  postgres.db_directory = "postgresql://db1/mall";
  postgres.checkpoint_directory = "cp";
  EXPECT_TRUE(CheckBackendFlags("member", postgres).ok());
  for (const char* command : {"demo", "backup", "restore", "checkpoint", "prove", "audit-bundle"}) {
    absl::Status refused = CheckBackendFlags(command, postgres);
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << command;
    EXPECT_THAT(refused.message(), HasSubstr("works on a ledger directory")) << command;
  }
}

}  // namespace
}  // namespace loyalty::cli
