#include "projections/policy.h"

#include "gtest/gtest.h"
#include "projections/local_time.h"
#include "projections/policy_projection.h"

namespace loyalty::projections {
namespace {

TEST(PolicyTest, DefaultsAreTheBusinessRules) {
  const Policy policy;
  EXPECT_EQ(policy.fen_per_point(), 100);
  EXPECT_EQ(policy.multiplier_bp(v1::TIER_REGULAR), 10000);
  EXPECT_EQ(policy.multiplier_bp(v1::TIER_SILVER), 12500);
  EXPECT_EQ(policy.multiplier_bp(v1::TIER_GOLD), 15000);
  EXPECT_EQ(policy.multiplier_bp(v1::TIER_PLATINUM), 20000);
  EXPECT_EQ(policy.multiplier_bp(v1::TIER_UNSPECIFIED), 10000);
  EXPECT_EQ(policy.threshold_fen(v1::TIER_SILVER), 500000);
  EXPECT_EQ(policy.threshold_fen(v1::TIER_GOLD), 2000000);
  EXPECT_EQ(policy.threshold_fen(v1::TIER_PLATINUM), 5000000);
  EXPECT_EQ(policy.window_us(), 365 * kMicrosPerDay);
  EXPECT_EQ(policy.protection_us(), 365 * kMicrosPerDay);
  EXPECT_EQ(policy.years_after_grant_year(), 1);
  EXPECT_EQ(policy.birthday_bonus_points(), 200);
  EXPECT_EQ(policy.reply_working_days(), 3);
  EXPECT_EQ(policy.notification_working_days(), 5);
  EXPECT_EQ(policy.retention_inactive_days(), 1095);
  EXPECT_TRUE(Policy::CheckValues(policy.values()).ok());
}

TEST(PolicyTest, TierForSpendTakesTheHighestThresholdReached) {
  const Policy policy;
  EXPECT_EQ(policy.TierForSpend(0), v1::TIER_REGULAR);
  EXPECT_EQ(policy.TierForSpend(499999), v1::TIER_REGULAR);
  EXPECT_EQ(policy.TierForSpend(500000), v1::TIER_SILVER);
  EXPECT_EQ(policy.TierForSpend(2000000), v1::TIER_GOLD);
  EXPECT_EQ(policy.TierForSpend(4999999), v1::TIER_GOLD);
  EXPECT_EQ(policy.TierForSpend(5000000), v1::TIER_PLATINUM);
}

TEST(PolicyTest, AZeroFieldKeepsTheValueInForce) {
  Policy policy;
  v1::PolicySet change;
  change.mutable_earning()->set_silver_multiplier_bp(13000);
  ASSERT_TRUE(policy.Apply(change).ok());
  EXPECT_EQ(policy.multiplier_bp(v1::TIER_SILVER), 13000);
  EXPECT_EQ(policy.fen_per_point(), 100);
  EXPECT_EQ(policy.multiplier_bp(v1::TIER_GOLD), 15000);
}

TEST(PolicyTest, RejectsAnInvalidChangeAndKeepsThePolicy) {
  Policy policy;
  const std::string before = policy.values().SerializeAsString();
  v1::PolicySet negative;
  negative.mutable_tiers()->set_window_days(-1);
  EXPECT_EQ(policy.Apply(negative).code(), absl::StatusCode::kInvalidArgument);
  v1::PolicySet descending;
  descending.mutable_tiers()->set_gold_threshold_fen(400000);  // below Silver's 500000
  absl::Status status = policy.Apply(descending);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("gold_threshold_fen 400000"), std::string::npos) << status;
  v1::PolicySet too_big;
  too_big.mutable_earning()->set_platinum_multiplier_bp(2'000'000);
  EXPECT_EQ(policy.Apply(too_big).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(policy.Apply(v1::PolicySet()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(policy.values().SerializeAsString(), before);
}

TEST(PolicyTest, FromValuesRejectsAnIncompletePolicy) {
  state::PolicyState values = Policy().values();
  values.mutable_expiry()->clear_years_after_grant_year();
  EXPECT_EQ(Policy::FromValues(values).status().code(), absl::StatusCode::kDataLoss);
}

TEST(PolicyProjectionTest, AppliesPolicyEventsInLogOrder) {
  PolicyProjection projection;
  v1::Envelope first;
  first.set_sequence(1);
  first.set_stream_id("policy");
  first.set_occurred_at_us(2000);
  first.mutable_event()->mutable_policy_set()->mutable_birthday()->set_bonus_points(300);
  v1::Envelope second = first;
  second.set_sequence(2);
  second.set_occurred_at_us(1000);  // earlier business time: still applies after the first
  second.mutable_event()->mutable_policy_set()->mutable_birthday()->set_bonus_points(400);
  ASSERT_TRUE(projection.Apply(first).ok());
  ASSERT_TRUE(projection.Apply(second).ok());
  EXPECT_EQ(projection.policy().birthday_bonus_points(), 400);
  EXPECT_EQ(projection.changes_applied(), 2u);
  EXPECT_EQ(projection.now_us(), 2000);

  // An invalid change is kept out and recorded; the log goes on.
  v1::Envelope invalid = first;
  invalid.set_sequence(3);
  invalid.mutable_event()->mutable_policy_set()->mutable_birthday()->set_bonus_points(-5);
  ASSERT_TRUE(projection.Apply(invalid).ok());
  EXPECT_EQ(projection.last_sequence(), 3u);
  EXPECT_EQ(projection.changes_applied(), 2u);
  EXPECT_EQ(projection.last_change_sequence(), 2u);
  EXPECT_EQ(projection.policy().birthday_bonus_points(), 400);
  ASSERT_EQ(projection.anomalies().kept().size(), 1u);
  EXPECT_EQ(projection.anomalies().kept()[0].rule, "invalid_policy");
  EXPECT_EQ(projection.anomalies().kept()[0].sequence, 3u);
  EXPECT_NE(projection.anomalies().kept()[0].message.find("birthday.bonus_points: -5"),
            std::string::npos)
      << projection.anomalies().kept()[0].message;
  // Off the policy stream, a valid change is kept out too.
  v1::Envelope elsewhere = first;
  elsewhere.set_sequence(4);
  elsewhere.set_stream_id("member-M1");
  ASSERT_TRUE(projection.Apply(elsewhere).ok());
  EXPECT_EQ(projection.policy().birthday_bonus_points(), 400);
  EXPECT_EQ(projection.anomalies().kept().back().rule, "stream_mismatch");

  PolicyProjection restored;
  ASSERT_TRUE(restored.Restore(projection.CanonicalState()).ok());
  EXPECT_EQ(restored.CanonicalState(), projection.CanonicalState());
  EXPECT_EQ(restored.policy().birthday_bonus_points(), 400);
}

}  // namespace
}  // namespace loyalty::projections
