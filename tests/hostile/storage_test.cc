// Hostile input, storage: ordinary commands on directories that are not
// what they should be (issue 17, cases 1-4, 7-11).
#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/hostile/campaign.h"

namespace loyalty::hostile {
namespace {

using ::testing::HasSubstr;

// Case 1: `demo --replace` removes only a ledger and its own files.
TEST_F(HostileCampaign, DemoReplaceRefusesADirectoryHoldingOtherFiles) {
  std::filesystem::create_directories(Path("r1/photos"));
  WriteFile(Path("r1/photos/a.jpg"), "x");
  const ToolRun run = Loyalty({"--db", "r1", "demo", "--replace", "--members", "5"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("photos"));
  EXPECT_TRUE(std::filesystem::exists(Path("r1/photos/a.jpg")));
}

}  // namespace
}  // namespace loyalty::hostile
