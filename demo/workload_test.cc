#include "demo/workload.h"

#include <string>
#include <vector>

#include "demo/runner.h"
#include "gtest/gtest.h"
#include "loyalty/engine.h"
#include "testing/temp_dir.h"

namespace loyalty::demo {
namespace {

std::vector<std::string> Describe(const WorkloadOptions& options) {
  std::vector<std::string> out;
  EXPECT_TRUE(GenerateWorkload(options, [&](const Command& command) {
                out.push_back(std::to_string(command.index()) + "@" +
                              std::to_string(OccurredAtUs(command)));
                return absl::OkStatus();
              }).ok());
  return out;
}

TEST(WorkloadTest, SameSeedSameCommandsOtherSeedOthers) {
  WorkloadOptions options;
  options.members = 50;
  options.days = 60;
  EXPECT_EQ(Describe(options), Describe(options));
  WorkloadOptions other = options;
  other.seed = 99;
  EXPECT_NE(Describe(options), Describe(other));
}

TEST(WorkloadTest, EveryKindOfCommandAppearsInBusinessTimeOrder) {
  WorkloadOptions options;
  options.members = 200;
  options.days = 365;
  WorkloadCounts counts;
  int64_t last_us = 0;
  bool ordered = true;
  ASSERT_TRUE(GenerateWorkload(
                  options,
                  [&](const Command& command) {
                    ordered = ordered && OccurredAtUs(command) >= last_us;
                    last_us = OccurredAtUs(command);
                    return absl::OkStatus();
                  },
                  &counts)
                  .ok());
  EXPECT_TRUE(ordered);
  EXPECT_EQ(counts.enrolments, 200);
  EXPECT_EQ(counts.birthday_runs, 365);
  EXPECT_GT(counts.policies, 4);
  EXPECT_GT(counts.purchases, 1000);
  EXPECT_GT(counts.refunds, 10);
  EXPECT_GT(counts.redemptions, 10);
  EXPECT_GT(counts.adjustments, 10);
}

TEST(WorkloadTest, RunningTwiceGivesTheSameChainHead) {
  testing::TempDir dir;
  RunOptions options;
  options.workload.members = 60;
  options.workload.days = 90;
  options.sync = false;
  auto first = RunWorkload(dir.Sub("a"), options, nullptr);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = RunWorkload(dir.Sub("b"), options, nullptr);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_GT(first->events_appended, 500);
  EXPECT_EQ(first->events_appended, second->events_appended);
  EXPECT_EQ(RunWorkload(dir.Sub("a"), options, nullptr).status().code(),
            absl::StatusCode::kFailedPrecondition);

  ChainHead heads[2];
  int i = 0;
  for (const char* name : {"a", "b"}) {
    auto engine = Engine::Open(dir.Sub(name), EngineOptions());
    ASSERT_TRUE(engine.ok());
    heads[i++] = (*engine)->ledger().Head();
    ASSERT_TRUE((*engine)->ledger().Verify(1, heads[i - 1].sequence).ok());
    ASSERT_TRUE((*engine)->Rebuild().ok());
  }
  EXPECT_EQ(heads[0].sequence, heads[1].sequence);
  EXPECT_EQ(heads[0].hash, heads[1].hash);
}

}  // namespace
}  // namespace loyalty::demo
