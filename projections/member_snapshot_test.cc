// What AdoptMemberSnapshot refuses. That a resumed replay equals the full
// one is a property of every random history: replay_property_test.cc.
#include "projections/member_snapshot.h"

#include "gtest/gtest.h"
#include "projections/test_world.h"

namespace loyalty::projections {
namespace {

using testing::At;
using testing::TestWorld;

class MemberSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(world_.Enrol("M1", At(2024, 1, 1)).ok());
    ASSERT_TRUE(world_.Purchase("P1", "M1", 500000, At(2024, 2, 1)).ok());
    const v1::Envelope& last = world_.log.back();
    absl::StatusOr<std::string> bytes = EncodeMemberSnapshot(
        world_.balances, world_.tiers, "M1", {last.sequence(), last.stream_version()});
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    snapshot_ = *bytes;
  }
  TestWorld world_;
  std::string snapshot_;
};

TEST_F(MemberSnapshotTest, AdoptsTheMembersBalanceAndTier) {
  BalanceProjection balances;
  TierProjection tiers;
  absl::StatusOr<MemberSnapshotPosition> position =
      AdoptMemberSnapshot(snapshot_, "M1", &balances, &tiers);
  ASSERT_TRUE(position.ok()) << position.status();
  EXPECT_EQ(position->sequence, world_.log.back().sequence());
  EXPECT_EQ(position->stream_version, world_.log.back().stream_version());
  ASSERT_NE(balances.FindMember("M1"), nullptr);
  EXPECT_EQ(balances.FindMember("M1")->balance_points(), world_.Balance("M1"));
  EXPECT_EQ(balances.FindPurchaseMember("P1") != nullptr, true);
  ASSERT_NE(tiers.FindMember("M1"), nullptr);
  EXPECT_EQ(tiers.FindMember("M1")->tier, world_.tiers.FindMember("M1")->tier);
}

TEST_F(MemberSnapshotTest, AnUnknownMemberHasNoSnapshot) {
  absl::StatusOr<std::string> bytes =
      EncodeMemberSnapshot(world_.balances, world_.tiers, "M9", {1, 1});
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(MemberSnapshotTest, RefusesBadBytesAnotherMemberAndAMemberAlreadyThere) {
  BalanceProjection balances;
  TierProjection tiers;
  EXPECT_EQ(AdoptMemberSnapshot("\xff\xff", "M1", &balances, &tiers).status().code(),
            absl::StatusCode::kDataLoss);
  absl::Status other = AdoptMemberSnapshot(snapshot_, "M2", &balances, &tiers).status();
  EXPECT_EQ(other.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(other.message().find("\"M1\""), absl::string_view::npos) << other;
  EXPECT_EQ(balances.members().size(), 0u);
  EXPECT_EQ(tiers.members().size(), 0u);

  ASSERT_TRUE(AdoptMemberSnapshot(snapshot_, "M1", &balances, &tiers).ok());
  EXPECT_EQ(AdoptMemberSnapshot(snapshot_, "M1", &balances, &tiers).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(MemberSnapshotTest, RefusesAnotherFormatAndABrokenInvariantChangingNothing) {
  state::MemberSnapshot in;
  ASSERT_TRUE(in.ParseFromString(snapshot_));
  state::MemberSnapshot old_format = in;
  old_format.set_format_version(kStateFormatVersion - 1);
  BalanceProjection balances;
  TierProjection tiers;
  EXPECT_EQ(AdoptMemberSnapshot(SerializeDeterministic(old_format), "M1", &balances, &tiers)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);

  // A broken tier is found before the balance is adopted.
  state::MemberSnapshot broken_tier = in;
  broken_tier.mutable_tier()->set_tier(v1::TIER_REGULAR);
  broken_tier.mutable_tier()->set_protected_until_us(At(2025, 1, 1));
  EXPECT_EQ(AdoptMemberSnapshot(SerializeDeterministic(broken_tier), "M1", &balances, &tiers)
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  state::MemberSnapshot broken_balance = in;
  broken_balance.mutable_balance()->set_debt_points(-1);
  EXPECT_EQ(AdoptMemberSnapshot(SerializeDeterministic(broken_balance), "M1", &balances, &tiers)
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(balances.members().size(), 0u);
  EXPECT_EQ(tiers.members().size(), 0u);
  EXPECT_EQ(balances.FindPurchaseMember("P1"), nullptr);
}

}  // namespace
}  // namespace loyalty::projections
