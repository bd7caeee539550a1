// Engine::Metrics(): commands by kind, the projections' lag, checkpoints,
// the catch-up on open, and the whole snapshot as Prometheus text.
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/engine.h"
#include "loyalty/metrics.h"
#include "testing/commands.h"
#include "testing/engine_backend.h"
#include "testing/events.h"
#include "testing/prometheus_text.h"
#include "testing/temp_dir.h"

namespace loyalty {
namespace {

using ::loyalty::testing::kJan2024Us;
using ::loyalty::testing::ParsePrometheusText;
using ::loyalty::testing::PrometheusSamples;
using ::loyalty::testing::TempDir;

constexpr int64_t kDayUs = 86400LL * 1000000;

const CommandMetrics& Kind(const EngineMetrics& metrics, const std::string& kind) {
  for (const CommandMetrics& command : metrics.commands) {
    if (command.kind == kind) return command;
  }
  static const CommandMetrics kMissing{"missing", 0, 0};
  ADD_FAILURE() << "no command kind " << kind;
  return kMissing;
}

class EngineMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    engine_.reset();
    EngineOptions options;
    options.ledger.clock = &clock_;
    options.ledger.sync = false;
    absl::StatusOr<std::unique_ptr<Engine>> opened = testing::OpenTestEngine(dir_.Sub("db"), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    engine_ = std::move(*opened);
  }

  absl::Status Enrol(const std::string& member_id) {
    return engine_->Execute(testing::EnrolCommand(member_id, kJan2024Us)).status();
  }

  absl::Status Purchase(const std::string& member_id, const std::string& id, int64_t amount_fen) {
    return engine_
        ->Execute(testing::PurchaseCommand(id, member_id, amount_fen, kJan2024Us + kDayUs))
        .status();
  }

  absl::Status RedeemPoints(const std::string& member_id, const std::string& id, int64_t points) {
    return engine_->Execute(testing::RedeemCommand(id, member_id, points, kJan2024Us + 2 * kDayUs))
        .status();
  }

  TempDir dir_;
  ManualClock clock_{kJan2024Us + 10 * kDayUs};
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineMetricsTest, CommandsAreCountedByKindAndOutcome) {
  ASSERT_TRUE(Enrol("M1").ok());
  for (const char* id : {"P1", "P2", "P3"}) ASSERT_TRUE(Purchase("M1", id, 10000).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(RedeemPoints("M1", "R1", 1000000)));
  EXPECT_TRUE(absl::IsNotFound(Purchase("nobody", "P4", 100)));
  EXPECT_TRUE(absl::IsAlreadyExists(Purchase("M1", "P1", 10000)));

  const MetricsSnapshot snapshot = engine_->Metrics();
  ASSERT_TRUE(snapshot.engine.has_value());
  const EngineMetrics& m = *snapshot.engine;
  EXPECT_EQ(m.commands.size(), 16u);
  EXPECT_EQ(Kind(m, "enrol_member").executed_total, 1u);
  EXPECT_EQ(Kind(m, "enrol_member").rejected_total, 0u);
  EXPECT_EQ(Kind(m, "record_purchase").executed_total, 3u);
  EXPECT_EQ(Kind(m, "record_purchase").rejected_total, 2u);
  EXPECT_EQ(Kind(m, "redeem").executed_total, 0u);
  EXPECT_EQ(Kind(m, "redeem").rejected_total, 1u);
  EXPECT_EQ(Kind(m, "adjust").executed_total + Kind(m, "adjust").rejected_total, 0u);
  EXPECT_EQ(m.command_latency_us.count, 7u);
  // An enrolment is one event, a purchase two (the purchase and its points);
  // rejected commands append nothing.
  EXPECT_EQ(snapshot.ledger.events_appended_total, 7u);
  EXPECT_EQ(snapshot.ledger.appends_total, 4u);
  EXPECT_EQ(m.events_applied_total, 7u);
  EXPECT_EQ(m.applied_sequence, 7u);
}

TEST_F(EngineMetricsTest, ProjectionLagIsZeroOnceCaughtUpAndCountsDirectAppends) {
  ASSERT_TRUE(Enrol("M1").ok());
  EngineMetrics m = *engine_->Metrics().engine;
  EXPECT_EQ(m.projection_lag_events, 0u);
  EXPECT_EQ(m.projection_lag_us, 0);
  EXPECT_EQ(m.applied_sequence, 1u);

  // Appended behind the engine's back: the projections see it at the next
  // command or query.
  AppendBatch batch;
  batch.Add(testing::Purchase("M1", "P-direct", 500))
      .Add(testing::Purchase("M1", "P-direct-2", 700));
  ASSERT_TRUE(engine_->ledger().Append(batch).ok());
  m = *engine_->Metrics().engine;
  EXPECT_EQ(m.applied_sequence, 1u);
  EXPECT_EQ(m.projection_lag_events, 2u);
  EXPECT_GE(m.projection_lag_us, 0);

  ASSERT_TRUE(engine_->Checkpoint().ok());  // catches up first
  m = *engine_->Metrics().engine;
  EXPECT_EQ(m.projection_lag_events, 0u);
  EXPECT_EQ(m.projection_lag_us, 0);
  EXPECT_EQ(m.applied_sequence, 3u);
  EXPECT_EQ(m.events_applied_total, 3u);
  EXPECT_EQ(m.checkpoints_total, 1u);
}

TEST_F(EngineMetricsTest, OpenReportsTheCatchUpPastTheCheckpoint) {
  ASSERT_TRUE(Enrol("M1").ok());
  engine_.reset();  // saves the checkpoint at sequence 1
  {
    LedgerOptions options;
    options.clock = &clock_;
    absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(dir_.Sub("db"), options);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    AppendBatch batch;
    for (const char* id : {"P1", "P2", "P3"}) batch.Add(testing::Purchase("M1", id, 100));
    ASSERT_TRUE((*ledger)->Append(batch).ok());
  }
  Open();
  const MetricsSnapshot snapshot = engine_->Metrics();
  const EngineMetrics& m = *snapshot.engine;
  EXPECT_EQ(m.catch_up_events_on_open, 3u);
  EXPECT_GE(m.catch_up_on_open_us, 0);
  EXPECT_EQ(m.events_applied_total, 3u);
  EXPECT_EQ(m.applied_sequence, 4u);
  EXPECT_EQ(m.projection_lag_events, 0u);
  EXPECT_EQ(snapshot.ledger.head_sequence, 4u);
  // Nothing was appended by this engine yet.
  EXPECT_EQ(snapshot.ledger.appends_total, 0u);
  EXPECT_EQ(m.command_latency_us.count, 0u);
}

TEST_F(EngineMetricsTest, SnapshotRendersAsValidPrometheusText) {
  ASSERT_TRUE(Enrol("M1").ok());
  ASSERT_TRUE(Purchase("M1", "P1", 10000).ok());
  EXPECT_FALSE(RedeemPoints("M1", "R1", 1000000).ok());
  const std::string text = ToPrometheusText(engine_->Metrics());
  absl::StatusOr<PrometheusSamples> samples = ParsePrometheusText(text);
  ASSERT_TRUE(samples.ok()) << samples.status() << "\n" << text;
  EXPECT_EQ(samples->at("loyalty_engine_commands_executed_total{kind=\"record_purchase\"}"), 1);
  EXPECT_EQ(samples->at("loyalty_engine_commands_rejected_total{kind=\"redeem\"}"), 1);
  EXPECT_EQ(samples->at("loyalty_engine_commands_executed_total{kind=\"record_survey\"}"), 0);
  EXPECT_EQ(samples->at("loyalty_engine_command_latency_seconds_count"), 3);
  EXPECT_EQ(samples->at("loyalty_engine_projection_lag_events"), 0);
  EXPECT_EQ(samples->at("loyalty_engine_applied_sequence"), 3);
  EXPECT_EQ(samples->at("loyalty_ledger_head_sequence"), 3);
  EXPECT_EQ(samples->at("loyalty_ledger_events_appended_total"), 3);
  EXPECT_EQ(samples->at("loyalty_ledger_append_batch_size_events_count"), 2);
  EXPECT_EQ(samples->at("loyalty_ledger_wal_syncs_total"), 0);  // sync is off here
}

}  // namespace
}  // namespace loyalty
