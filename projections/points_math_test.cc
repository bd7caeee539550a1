#include "projections/points_math.h"

#include <limits>

#include "gtest/gtest.h"

namespace loyalty::projections {
namespace {

TEST(PointsMathTest, PurchasePointsFloorsTheAmountThenTheMultipliedPoints) {
  EXPECT_EQ(PurchasePoints(10000, 100, 10000), 100);
  EXPECT_EQ(PurchasePoints(12399, 100, 10000), 123);  // 123.99 CNY: whole yuan only
  EXPECT_EQ(PurchasePoints(12345, 100, 12500), 153);  // 123 * 1.25 = 153.75
  EXPECT_EQ(PurchasePoints(12345, 100, 15000), 184);  // 123 * 1.5 = 184.5
  EXPECT_EQ(PurchasePoints(12345, 100, 20000), 246);
  EXPECT_EQ(PurchasePoints(99, 100, 20000), 0);
}

TEST(PointsMathTest, PurchasePointsDoesNotOverflow) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(PurchasePoints(kMax, 1, 10000), kMax);
  EXPECT_EQ(PurchasePoints(kMax, 1, 20000), kMax);  // saturated
}

TEST(PointsMathTest, PartialRefundsClawBackExactlyWhatWasEarned) {
  // A = 10000 fen earned P = 100; refunds of 3333, 3333 and 3334 fen.
  const int64_t after_first = ClawbackTotal(100, 3333, 10000);
  const int64_t after_second = ClawbackTotal(100, 6666, 10000);
  const int64_t after_third = ClawbackTotal(100, 10000, 10000);
  EXPECT_EQ(after_first, 33);
  EXPECT_EQ(after_second - after_first, 33);
  EXPECT_EQ(after_third - after_second, 34);
  EXPECT_EQ(after_third, 100);
}

TEST(PointsMathTest, NothingIsClawedBackOfLessThanAPoint) {
  EXPECT_EQ(ClawbackTotal(100, 0, 10000), 0);
  EXPECT_EQ(ClawbackTotal(100, 99, 10000), 0);  // floor(0.99)
  EXPECT_EQ(ClawbackTotal(0, 10000, 10000), 0);
  EXPECT_EQ(ClawbackTotal(100, 10, 0), 0);
}

TEST(PointsMathTest, RateIsFlooredBasisPointsAndZeroOfNothing) {
  EXPECT_EQ(RateBp(1, 3), 3333);
  EXPECT_EQ(RateBp(250, 1000), 2500);
  EXPECT_EQ(RateBp(5, 0), 0);
  EXPECT_EQ(RateBp(std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max()),
            10000);
}

}  // namespace
}  // namespace loyalty::projections
