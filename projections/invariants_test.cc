// The points account and the tier rules stop on a broken invariant
// (util/check.h) instead of saving state their codecs would refuse.
#include "gtest/gtest.h"
#include "projections/points_account.h"
#include "projections/policy.h"
#include "projections/tier_rules.h"

namespace loyalty::projections {
namespace {

Lot LotOf(int64_t points, int64_t expires_at_us) {
  Lot lot;
  lot.points_remaining = points;
  lot.granted_at_us = 1;
  lot.expires_at_us = expires_at_us;
  return lot;
}

TEST(PointsAccountInvariantTest, AGrantOfNoPointsStopsTheProcess) {
  MemberAccount account;
  EXPECT_DEATH(account.Grant(LotOf(0, 100)), "invariant broken: .*grant of 0 points");
}

TEST(PointsAccountInvariantTest, RedeemingMoreThanTheBalanceStopsTheProcess) {
  MemberAccount account;
  account.Grant(LotOf(50, 100));
  EXPECT_DEATH(account.Redeem(51), "redeeming 51 points of a balance of 50");
}

TEST(PointsAccountInvariantTest, DebtHeldBesideLotsStopsTheProcess) {
  MemberAccount account;
  account.Grant(LotOf(50, 100));
  account.debt_points = 10;  // what no operation leaves: debt is repaid by grants first
  EXPECT_DEATH(account.Redeem(10), "debt 10 held with 1 lots");
}

TEST(PointsAccountInvariantTest, LotsOutOfConsumptionOrderStopTheProcessInCheckedBuilds) {
  MemberAccount account;
  account.Grant(LotOf(50, 100));
  account.Grant(LotOf(50, 200));
  std::swap(account.lots[0], account.lots[1]);
#ifdef LOYALTY_ALL_CHECKS
  EXPECT_DEATH(account.Redeem(10), "ConsumedBefore");
#else
  account.Redeem(10);  // only the cheap checks run in this build
  EXPECT_EQ(account.balance_points(), 90);
#endif
}

TEST(PointsAccountInvariantTest, ValidOperationsKeepTheInvariants) {
  MemberAccount account;
  account.Grant(LotOf(50, 100));
  account.Debit(80, 0, /*clawback=*/false);
  EXPECT_EQ(account.debt_points, 30);
  EXPECT_TRUE(account.lots.empty());
  account.Grant(LotOf(40, 300));  // repays the debt first
  EXPECT_EQ(account.debt_points, 0);
  EXPECT_EQ(account.balance_points(), 10);
  account.Redeem(10);
  EXPECT_EQ(account.balance_points(), 0);
}

TEST(TierInvariantTest, ATierAboveRegularWithoutProtectionStopsTheProcessInCheckedBuilds) {
  MemberTier member;
  member.tier = v1::TIER_GOLD;
  member.protected_until_us = 0;  // what no rule leaves: Gold is always protected
#ifdef LOYALTY_ALL_CHECKS
  EXPECT_DEATH(member.AdvanceTo(2000, Policy()), "tier 3 protected until 0");
#else
  member.AdvanceTo(2000, Policy());
  EXPECT_EQ(member.now_us, 2000);
#endif
}

}  // namespace
}  // namespace loyalty::projections
