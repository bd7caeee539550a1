// `loyalty metrics`: the tool prints the Prometheus text of the engine it
// opens (tests/tool_runner.h runs it as a user would).
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/ledger.h"
#include "testing/events.h"
#include "testing/prometheus_text.h"
#include "testing/temp_dir.h"
#include "tests/tool_runner.h"

namespace loyalty {
namespace {

using ::loyalty::testing::ParsePrometheusText;
using ::loyalty::testing::PrometheusSamples;
using ::loyalty::testing::RunTool;
using ::loyalty::testing::TempDir;
using ::loyalty::testing::ToolRun;
using ::testing::HasSubstr;

class MetricsCliTest : public ::testing::Test {
 protected:
  ToolRun Loyalty(const std::vector<std::string>& args) {
    return RunTool(LOYALTY_BINARY, args, "/dev/null", dir_.path(), dir_.Sub("run"));
  }

  TempDir dir_;
};

TEST_F(MetricsCliTest, PrintsTheOpenAndTheStorageAsPrometheusText) {
  const std::string db = dir_.Sub("db");
  {
    // Five events appended without an engine: the first open replays them.
    absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(db, LedgerOptions());
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    AppendBatch batch;
    v1::Envelope enrol = ::loyalty::testing::EnvelopeOn(
        "member-M1", "enrol/M1", testing::kJan2024Us, "test");
    enrol.mutable_event()->mutable_member_enrolled()->set_member_id("M1");
    batch.Add(enrol);
    for (int i = 0; i < 4; ++i) {
      batch.Add(testing::Purchase("M1", absl::StrCat("P", i), 100 + i));
    }
    ASSERT_TRUE((*ledger)->Append(batch).ok());
  }
  ToolRun run = Loyalty({"--db", db, "metrics"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  absl::StatusOr<PrometheusSamples> samples = ParsePrometheusText(run.out);
  ASSERT_TRUE(samples.ok()) << samples.status() << "\n" << run.out;
  EXPECT_EQ(samples->at("loyalty_engine_catch_up_on_open_events"), 5);
  EXPECT_EQ(samples->at("loyalty_engine_applied_sequence"), 5);
  EXPECT_EQ(samples->at("loyalty_engine_projection_lag_events"), 0);
  EXPECT_EQ(samples->at("loyalty_ledger_head_sequence"), 5);
  EXPECT_EQ(samples->at("loyalty_ledger_appends_total"), 0);  // this process appended none
  EXPECT_GT(samples->at("loyalty_ledger_directory_bytes"), 0);

  // A reading command writes nothing, so the catch-up is the same again;
  // a writing one (rebuild) saves the checkpoint: nothing to replay after.
  run = Loyalty({"--db", db, "metrics"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  samples = ParsePrometheusText(run.out);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ(samples->at("loyalty_engine_catch_up_on_open_events"), 5);
  ASSERT_EQ(Loyalty({"--db", db, "rebuild"}).exit_code, 0);
  run = Loyalty({"--db", db, "metrics"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  samples = ParsePrometheusText(run.out);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ(samples->at("loyalty_engine_catch_up_on_open_events"), 0);
  EXPECT_EQ(samples->at("loyalty_engine_applied_sequence"), 5);
}

TEST_F(MetricsCliTest, AMissingLedgerIsAnErrorAndIsNotCreated) {
  const std::string db = dir_.Sub("nothing-here");
  ToolRun run = Loyalty({"--db", db, "metrics"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("nothing-here"));
  EXPECT_FALSE(std::filesystem::exists(db));
}

TEST_F(MetricsCliTest, TakesNoArguments) {
  ToolRun run = Loyalty({"metrics", "extra"});
  EXPECT_EQ(run.exit_code, 1);
  run = Loyalty({"help", "metrics"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.out, HasSubstr("Prometheus"));
}

}  // namespace
}  // namespace loyalty
