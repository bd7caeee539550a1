#include "demo/workload.h"

#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
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
  EXPECT_EQ(counts.calendar_declarations, 2);  // 2024 and 2025
  EXPECT_GT(counts.complaints, 5);
  EXPECT_GT(counts.complaint_steps, 4 * counts.complaints);
  EXPECT_GT(counts.surveys, 5);
}

TEST(WorkloadTest, TheCalendarComesFirstAndEveryYearNeededIsLoaded) {
  WorkloadOptions options;
  options.members = 20;
  options.days = 10;
  options.start_us = 1703952000LL * 1000000;  // 2023-12-31T00:00+08:00
  std::vector<int32_t> years;
  bool calendar_first = true;
  bool other_seen = false;
  ASSERT_TRUE(GenerateWorkload(options, [&](const Command& command) {
                if (const auto* declare = std::get_if<DeclareCalendarDays>(&command)) {
                  years.push_back(declare->declaration.covers_year());
                  calendar_first = calendar_first && !other_seen;
                } else {
                  other_seen = true;
                }
                return absl::OkStatus();
              }).ok());
  EXPECT_TRUE(calendar_first);
  EXPECT_EQ(years, (std::vector<int32_t>{2023, 2024, 2025}));

  options.calendar_data_dir = "/nonexistent/calendar";
  EXPECT_EQ(GenerateWorkload(options, [](const Command&) { return absl::OkStatus(); }).code(),
            absl::StatusCode::kNotFound);
  options.calendar_data_dir = "";
  years.clear();
  ASSERT_TRUE(GenerateWorkload(options, [&](const Command& command) {
                if (std::holds_alternative<DeclareCalendarDays>(command)) years.push_back(0);
                return absl::OkStatus();
              }).ok());
  EXPECT_TRUE(years.empty());
}

// A whole year: complaints through their lifecycle, most on time, some late
// across the holidays, some reopened (some twice), goodwill and surveys;
// the engine accepts every step.
TEST(WorkloadTest, ComplaintsGoThroughTheirLifecycleInTheEngine) {
  testing::TempDir dir;
  RunOptions options;
  options.workload.members = 300;
  options.workload.days = 365;
  options.sync = false;
  auto summary = RunWorkload(dir.Sub("db"), options, nullptr);
  ASSERT_TRUE(summary.ok()) << summary.status();
  const WorkloadCounts& counts = summary->generated;
  EXPECT_GT(counts.complaints, 20);
  EXPECT_GT(counts.reopenings, 2);
  EXPECT_GT(counts.goodwill_grants, 2);
  EXPECT_GT(counts.late_steps, 2);
  EXPECT_GT(counts.surveys, 20);
  for (const auto& [what, count] : summary->refused) {
    EXPECT_EQ(what.rfind("redemption", 0), 0u) << what << ": " << count;
  }
  auto engine = Engine::Open(dir.Sub("db"), EngineOptions());
  ASSERT_TRUE(engine.ok());
  auto sla = (*engine)->SlaReport(absl::CivilDay(2024, 1, 1), absl::CivilDay(2024, 12, 31),
                                  AsOf::Sequence((*engine)->ledger().Head().sequence));
  ASSERT_TRUE(sla.ok()) << sla.status();
  EXPECT_EQ(sla->cycles, counts.complaints + counts.reopenings);
  EXPECT_GT(sla->total.all.met, sla->total.all.breached);
  EXPECT_GT(sla->total.all.breached, 0);
  EXPECT_EQ(sla->total.all.due_unknown, 0);
  int64_t twice = 0;
  for (int64_t i = 1; i <= counts.complaints; ++i) {
    auto complaint = (*engine)->Complaint(absl::StrFormat("C%06d", i), AsOf::Now());
    ASSERT_TRUE(complaint.ok()) << complaint.status();
    twice += complaint->cycles.size() >= 3;
  }
  EXPECT_GT(twice, 0);
  auto program = (*engine)->Program(AsOf::Sequence((*engine)->ledger().Head().sequence));
  ASSERT_TRUE(program.ok());
  int64_t scored = 0;
  for (const PartnerScorecard& partner : program->partners) {
    scored += partner.average_satisfaction_centi >= 0;
  }
  EXPECT_GT(scored, 5);
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
