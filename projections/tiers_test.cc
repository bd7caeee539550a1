#include "projections/tiers.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "projections/local_time.h"
#include "projections/test_world.h"

namespace loyalty::projections {
namespace {

using testing::AnomalyRules;
using testing::At;
using testing::DataOf;
using testing::RawEnvelope;
using testing::TestWorld;

class TierTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(world_.Enrol("M1", At(2024, 1, 1)).ok()); }
  const MemberTier& Member() { return *world_.tiers.FindMember("M1"); }
  v1::Tier TierAt(int64_t instant) { return *world_.tiers.TierInForceAt("M1", instant); }
  // The points the last purchase earned (0 when it earned none).
  int64_t LastEarned() {
    const v1::Envelope& last = world_.log.back();
    return last.event().has_points_granted() ? last.event().points_granted().points() : 0;
  }
  TestWorld world_;
};

TEST_F(TierTest, UpgradeThenDowngradeWhenProtectionEnds) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 600000, At(2024, 3, 1)).ok());
  const uint64_t purchase_sequence = world_.log.front().sequence() + 1;
  EXPECT_EQ(Member().tier, v1::TIER_SILVER);
  // 365 days from the upgrade.
  const int64_t protection_end = At(2025, 3, 1);
  EXPECT_EQ(Member().protected_until_us, protection_end);

  // Protection holds through its last instant; a later event sees the
  // re-evaluation before the projection has performed it.
  EXPECT_EQ(TierAt(protection_end), v1::TIER_SILVER);
  EXPECT_EQ(TierAt(protection_end + 1), v1::TIER_REGULAR);
  EXPECT_EQ(Member().tier, v1::TIER_SILVER);  // the query changed nothing

  world_.AdvanceTo(protection_end);
  EXPECT_EQ(Member().tier, v1::TIER_SILVER);
  world_.AdvanceTo(protection_end + 1);
  // The purchase at 2024-03-01 12:00 is outside (U - 365 days, U].
  EXPECT_EQ(Member().tier, v1::TIER_REGULAR);
  EXPECT_EQ(Member().protected_until_us, 0);
  ASSERT_EQ(Member().history.size(), 2u);
  const TierChange& up = Member().history[0];
  EXPECT_EQ(up.at_us, At(2024, 3, 1));
  EXPECT_EQ(up.from, v1::TIER_REGULAR);
  EXPECT_EQ(up.to, v1::TIER_SILVER);
  EXPECT_EQ(up.cause, TierChangeCause::kUpgrade);
  EXPECT_EQ(up.sequence, purchase_sequence);
  EXPECT_EQ(up.qualifying_spend_fen, 600000);
  const TierChange& down = Member().history[1];
  EXPECT_EQ(down.at_us, protection_end);
  EXPECT_EQ(down.from, v1::TIER_SILVER);
  EXPECT_EQ(down.to, v1::TIER_REGULAR);
  EXPECT_EQ(down.cause, TierChangeCause::kReevaluation);
  EXPECT_EQ(down.sequence, 0u);
}

TEST_F(TierTest, ReevaluationKeepsTheTierAndStartsANewProtection) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 600000, At(2024, 3, 1)).ok());
  ASSERT_TRUE(world_.Purchase("S2", "M1", 500000, At(2024, 12, 1)).ok());
  world_.AdvanceTo(At(2025, 3, 2));
  EXPECT_EQ(Member().tier, v1::TIER_SILVER);
  EXPECT_EQ(Member().protected_until_us, At(2026, 3, 1));
  EXPECT_EQ(Member().history.size(), 1u);  // staying is not a change
  world_.AdvanceTo(At(2026, 3, 2));
  EXPECT_EQ(Member().tier, v1::TIER_REGULAR);
}

TEST_F(TierTest, ReevaluationMayDropSeveralLevels) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 5000000, At(2024, 3, 1)).ok());
  EXPECT_EQ(Member().tier, v1::TIER_PLATINUM);
  ASSERT_TRUE(world_.Purchase("S2", "M1", 600000, At(2024, 6, 1)).ok());
  world_.AdvanceTo(At(2025, 3, 2));
  EXPECT_EQ(Member().tier, v1::TIER_SILVER);  // Platinum -> Silver
  EXPECT_EQ(Member().history.back().from, v1::TIER_PLATINUM);
  EXPECT_EQ(Member().history.back().qualifying_spend_fen, 600000);
}

TEST_F(TierTest, PlatinumFallsToRegularInOneReevaluation) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 5000000, At(2024, 3, 1)).ok());
  // The spend at the protection end is 0: three levels down at once.
  world_.AdvanceTo(At(2026, 6, 1));
  EXPECT_EQ(Member().tier, v1::TIER_REGULAR);
  ASSERT_EQ(Member().history.size(), 2u);
  EXPECT_EQ(Member().history[1].from, v1::TIER_PLATINUM);
  EXPECT_EQ(Member().history[1].to, v1::TIER_REGULAR);
}

TEST_F(TierTest, RefundsNeverDowngradeAtOnceButCountAtReevaluation) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 600000, At(2024, 3, 1)).ok());
  ASSERT_TRUE(world_.Purchase("S2", "M1", 500000, At(2024, 12, 1)).ok());
  ASSERT_TRUE(world_.Refund("F1", "S1", 600000, At(2025, 1, 10)).ok());
  ASSERT_TRUE(world_.Refund("F2", "S2", 100000, At(2025, 1, 10)).ok());
  EXPECT_EQ(Member().tier, v1::TIER_SILVER);
  EXPECT_EQ(*world_.tiers.QualifyingSpendAt("M1", At(2025, 1, 10)), 400000);
  world_.AdvanceTo(At(2025, 3, 2));
  EXPECT_EQ(Member().tier, v1::TIER_REGULAR);  // 400000 at the re-evaluation
}

TEST_F(TierTest, UpgradeDuringProtectionStartsANewProtection) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 600000, At(2024, 3, 1)).ok());
  ASSERT_TRUE(world_.Purchase("S2", "M1", 1500000, At(2024, 5, 1)).ok());
  EXPECT_EQ(Member().tier, v1::TIER_GOLD);
  EXPECT_EQ(Member().protected_until_us, At(2025, 5, 1));
  world_.AdvanceTo(At(2025, 3, 2));  // the Silver protection end is gone
  EXPECT_EQ(Member().tier, v1::TIER_GOLD);
  world_.AdvanceTo(At(2025, 5, 2));
  EXPECT_EQ(Member().tier, v1::TIER_REGULAR);
  EXPECT_EQ(Member().history.size(), 3u);
}

TEST_F(TierTest, TheUpgradingPurchaseEarnsAtTheOldRate) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 600000, At(2024, 3, 1)).ok());
  EXPECT_EQ(LastEarned(), 6000);  // Regular 1.0x, although it made the member Silver
  ASSERT_TRUE(world_.Purchase("S2", "M1", 10000, At(2024, 3, 2)).ok());
  EXPECT_EQ(LastEarned(), 125);  // Silver 1.25x
  ASSERT_TRUE(world_.Purchase("S3", "M1", 5000000, At(2024, 3, 3)).ok());
  EXPECT_EQ(LastEarned(), 62500);  // still Silver before it
  EXPECT_EQ(Member().tier, v1::TIER_PLATINUM);
  ASSERT_TRUE(world_.Purchase("S4", "M1", 10000, At(2024, 3, 4)).ok());
  EXPECT_EQ(LastEarned(), 200);
}

TEST_F(TierTest, APurchaseAtTheProtectionEndEarnsAtTheProtectedTier) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 600000, At(2024, 3, 1)).ok());
  ASSERT_TRUE(world_.Purchase("S2", "M1", 10000, At(2025, 3, 1)).ok());
  EXPECT_EQ(LastEarned(), 125);
  ASSERT_TRUE(world_.Purchase("S3", "M1", 10000, At(2025, 3, 1) + 1).ok());
  EXPECT_EQ(LastEarned(), 100);
  EXPECT_EQ(Member().tier, v1::TIER_REGULAR);
}

TEST_F(TierTest, QualifyingSpendIsTheOpenClosedWindow) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 1000, At(2024, 3, 1)).ok());
  const int64_t window_end = At(2024, 3, 1) + 365 * kMicrosPerDay;
  EXPECT_EQ(*world_.tiers.QualifyingSpendAt("M1", window_end - 1), 1000);
  EXPECT_EQ(*world_.tiers.QualifyingSpendAt("M1", window_end), 0);
  EXPECT_EQ(world_.tiers.QualifyingSpendAt("nobody", window_end).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(TierTest, ABackdatedPurchaseCountsAtItsOwnTime) {
  world_.AdvanceTo(At(2025, 6, 1));
  ASSERT_TRUE(world_.Purchase("S1", "M1", 600000, At(2024, 5, 1)).ok());  // outside the window
  EXPECT_EQ(Member().tier, v1::TIER_REGULAR);
  ASSERT_TRUE(world_.Purchase("S2", "M1", 600000, At(2025, 5, 1)).ok());  // inside it
  EXPECT_EQ(Member().tier, v1::TIER_SILVER);
  EXPECT_EQ(Member().history[0].at_us, At(2025, 6, 1));  // upgraded at now
  EXPECT_EQ(Member().protected_until_us, At(2026, 6, 1));
}

TEST_F(TierTest, TheDistributionCountsTheMembersOfEachTier) {
  ASSERT_TRUE(world_.Enrol("M2", At(2024, 1, 1)).ok());
  ASSERT_TRUE(world_.Enrol("M3", At(2024, 1, 1)).ok());
  ASSERT_TRUE(world_.Purchase("S1", "M2", 2500000, At(2024, 3, 1)).ok());
  ASSERT_TRUE(world_.Purchase("S2", "M3", 9000000, At(2024, 3, 1)).ok());
  TierDistribution counts = world_.tiers.Distribution();
  EXPECT_EQ(counts.regular, 1);
  EXPECT_EQ(counts.silver, 0);
  EXPECT_EQ(counts.gold, 1);
  EXPECT_EQ(counts.platinum, 1);
  world_.AdvanceTo(At(2025, 4, 1));
  counts = world_.tiers.Distribution();
  EXPECT_EQ(counts.regular, 3);
}

// Hand-made events the deciders would never write (anomaly.h).
TEST_F(TierTest, EventsThatBreakARuleChangeNoTierAndAreRecorded) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 300000, At(2024, 3, 1)).ok());
  const std::string before = DataOf<state::TierState>(world_.tiers);
  auto purchase = [&](const std::string& stream, const std::string& member_id,
                      const std::string& purchase_id, int64_t amount_fen) {
    v1::Envelope envelope = RawEnvelope(0, stream, At(2024, 2, 1));
    auto* recorded = envelope.mutable_event()->mutable_purchase_recorded();
    recorded->set_member_id(member_id);
    recorded->set_purchase_id(purchase_id);
    recorded->set_amount_fen(amount_fen);
    ASSERT_TRUE(world_.CommitRaw(envelope).ok());
  };
  purchase("member-M9", "M9", "S9", 5);           // a member never enrolled
  purchase("member-M1", "M1", "S1", 300000);      // a repeat: would reach Silver
  purchase("member-M1", "M1", "S2", 0);           // an amount out of range
  purchase("member-M1", "M1", "", 300000);        // no purchase id
  purchase("member-M2", "M1", "S3", 300000);      // off the member's stream
  v1::Envelope enrol = RawEnvelope(0, "member-M1", At(2024, 2, 1));
  enrol.mutable_event()->mutable_member_enrolled()->set_member_id("M1");
  ASSERT_TRUE(world_.CommitRaw(enrol).ok());
  v1::Envelope refund = RawEnvelope(0, "member-M1", At(2024, 2, 1));
  refund.mutable_event()->mutable_refund_recorded()->set_member_id("M1");
  refund.mutable_event()->mutable_refund_recorded()->set_purchase_id("S1");
  refund.mutable_event()->mutable_refund_recorded()->set_amount_fen(1000);
  ASSERT_TRUE(world_.CommitRaw(refund).ok());  // no refund id
  EXPECT_EQ(AnomalyRules(world_.tiers),
            (std::vector<std::string>{"member_not_enrolled", "duplicate_purchase",
                                      "amount_out_of_range", "missing_id", "stream_mismatch",
                                      "member_already_enrolled", "missing_id"}));
  EXPECT_EQ(DataOf<state::TierState>(world_.tiers), before);
  EXPECT_EQ(Member().tier, v1::TIER_REGULAR);
  EXPECT_EQ(world_.tiers.TierInForceAt("M9", 0).status().code(), absl::StatusCode::kNotFound);

  // Refunds count at most up to the purchase's amount, however many.
  for (int i = 0; i < 3; ++i) {
    v1::Envelope again = refund;
    again.mutable_event()->mutable_refund_recorded()->set_refund_id(absl::StrCat("F", i));
    again.mutable_event()->mutable_refund_recorded()->set_amount_fen(200000);
    ASSERT_TRUE(world_.CommitRaw(again).ok());
  }
  EXPECT_EQ(Member().purchases.at(0).refunded_fen, 300000);
  EXPECT_EQ(*world_.tiers.QualifyingSpendAt("M1", At(2024, 3, 2)), 0);

  TierProjection restored;
  ASSERT_TRUE(restored.Restore(world_.tiers.CanonicalState()).ok());
  EXPECT_EQ(restored.CanonicalState(), world_.tiers.CanonicalState());
  EXPECT_EQ(restored.anomalies().kept(), world_.tiers.anomalies().kept());
}

}  // namespace
}  // namespace loyalty::projections
