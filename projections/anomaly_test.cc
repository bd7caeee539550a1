#include "projections/anomaly.h"

#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "projections/points_math.h"
#include "projections/replay.h"

namespace loyalty::projections {
namespace {

v1::Envelope EventAt(uint64_t sequence) {
  v1::Envelope envelope;
  envelope.set_sequence(sequence);
  envelope.set_stream_id("member-M1");
  return envelope;
}

TEST(AnomalyLogTest, KeepsTheFirstAnomaliesAndCountsTheRest) {
  AnomalyLog log;
  EXPECT_TRUE(log.empty());
  for (uint64_t sequence = 1; sequence <= kMaxAnomaliesKept + 5; ++sequence) {
    log.Record(EventAt(sequence), anomaly_rule::kMemberNotEnrolled, "message");
  }
  EXPECT_EQ(log.count(), kMaxAnomaliesKept + 5);
  ASSERT_EQ(log.kept().size(), kMaxAnomaliesKept);
  EXPECT_EQ(log.kept().back().sequence, kMaxAnomaliesKept);
  EXPECT_EQ(log.kept().front().stream_id, "member-M1");

  state::AnomalyLog state;
  log.ToState(&state);
  EXPECT_EQ(state.not_kept(), 5u);
  absl::StatusOr<AnomalyLog> restored = AnomalyLog::FromState(state, "balances");
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->count(), log.count());
  EXPECT_EQ(restored->kept(), log.kept());
}

// A state without anomalies is the state of the builds that had none.
TEST(AnomalyLogTest, AnEmptyLogLeavesTheStateWithoutTheField) {
  state::BalanceState state;
  SetAnomalies(AnomalyLog(), &state);
  EXPECT_FALSE(state.has_anomalies());
  EXPECT_EQ(SerializeDeterministic(state), "");
  AnomalyLog one;
  one.Record(EventAt(3), anomaly_rule::kInvalidPolicy, "m");
  SetAnomalies(one, &state);
  EXPECT_TRUE(state.has_anomalies());
}

TEST(AnomalyLogTest, FromStateRejectsWhatRecordCannotMake) {
  state::AnomalyLog state;
  state::Anomaly& entry = *state.add_kept();
  entry.set_sequence(7);
  entry.set_rule("duplicate_refund");
  EXPECT_TRUE(AnomalyLog::FromState(state, "balances").ok());
  state.set_not_kept(1);  // counted past a limit not reached
  EXPECT_EQ(AnomalyLog::FromState(state, "balances").status().code(),
            absl::StatusCode::kDataLoss);
  state.set_not_kept(0);
  state.add_kept()->set_rule("duplicate_refund");  // sequence 0 after 7
  EXPECT_EQ(AnomalyLog::FromState(state, "balances").status().code(),
            absl::StatusCode::kDataLoss);
  state.mutable_kept(1)->set_sequence(7);  // one event, twice: fine
  EXPECT_TRUE(AnomalyLog::FromState(state, "balances").ok());
  state.mutable_kept(1)->clear_rule();
  absl::Status status = AnomalyLog::FromState(state, "tiers").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(status.message(), "tiers state: an anomaly names no rule");
}

TEST(AnomalyLogTest, QuotesAreEscapedAndShort) {
  EXPECT_EQ(QuotedForAnomaly("M1"), "\"M1\"");
  EXPECT_EQ(QuotedForAnomaly("a\"b\n"), "\"a\\\"b\\n\"");
  EXPECT_EQ(QuotedForAnomaly(std::string(100, 'x')),
            "\"" + std::string(64, 'x') + "\"... (100 bytes)");
}

TEST(SaturatingAddTest, StopsAtTheLimits) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(SaturatingAdd(2, 3), 5);
  EXPECT_EQ(SaturatingAdd(kMax - 1, 5), kMax);
  EXPECT_EQ(SaturatingAdd(kMax, kMax), kMax);
  EXPECT_EQ(SaturatingAdd(kMin + 1, -5), kMin);
  EXPECT_EQ(SaturatingAdd(kMax, -1), kMax - 1);
}

}  // namespace
}  // namespace loyalty::projections
