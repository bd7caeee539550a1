#include "projections/business_time.h"

#include <cstdint>
#include <limits>

#include "gtest/gtest.h"
#include "projections/local_time.h"
#include "projections/policy.h"

namespace loyalty::projections {
namespace {

// 2024-06-01T00:00:00Z.
constexpr int64_t kNowUs = 1717200000LL * kMicrosPerSecond;
constexpr int64_t kHourUs = 3600 * kMicrosPerSecond;

TEST(FutureToleranceTest, UpTo24HoursAheadOfTheClockIsAccepted) {
  const Policy policy;
  EXPECT_EQ(policy.future_tolerance_us(), 24 * kHourUs);
  EXPECT_TRUE(CheckBusinessTimeNotAhead(kNowUs - 400 * kMicrosPerDay, kNowUs, policy).ok());
  EXPECT_TRUE(CheckBusinessTimeNotAhead(kNowUs + 24 * kHourUs, kNowUs, policy).ok());
  const absl::Status late = CheckBusinessTimeNotAhead(kNowUs + 24 * kHourUs + 1, kNowUs, policy);
  EXPECT_EQ(late.code(), absl::StatusCode::kInvalidArgument);
}

TEST(FutureToleranceTest, TheRefusalNamesTheFieldBothTimesAndTheTolerance) {
  // 2099-03-01T02:00:00Z.
  const int64_t in_2099_us = 4076013600LL * kMicrosPerSecond;
  const absl::Status status = CheckBusinessTimeNotAhead(in_2099_us, kNowUs, Policy());
  EXPECT_EQ(status.message(),
            "occurred_at_us: 2099-03-01T02:00:00.000000Z is later than the ledger clock's now "
            "2024-06-01T00:00:00.000000Z plus the tolerance of 24h (policy "
            "business_time.future_tolerance_seconds 86400)");
  // Nothing overflows at the ends of the range.
  EXPECT_FALSE(
      CheckBusinessTimeNotAhead(std::numeric_limits<int64_t>::max(), kNowUs, Policy()).ok());
  EXPECT_TRUE(CheckBusinessTimeNotAhead(std::numeric_limits<int64_t>::max(),
                                        std::numeric_limits<int64_t>::max(), Policy())
                  .ok());
}

TEST(FutureToleranceTest, ThePolicyChangesTheTolerance) {
  Policy policy;
  v1::PolicySet change;
  change.mutable_business_time()->set_future_tolerance_seconds(3600);
  ASSERT_TRUE(policy.Apply(change).ok());
  EXPECT_EQ(policy.future_tolerance_us(), kHourUs);
  EXPECT_FALSE(CheckBusinessTimeNotAhead(kNowUs + 2 * kHourUs, kNowUs, policy).ok());
  // Other changes keep it.
  v1::PolicySet other;
  other.mutable_birthday()->set_bonus_points(300);
  ASSERT_TRUE(policy.Apply(other).ok());
  EXPECT_EQ(policy.future_tolerance_us(), kHourUs);
}

TEST(FutureToleranceTest, TheToleranceIsAtMostAYear) {
  Policy policy;
  v1::PolicySet change;
  change.mutable_business_time()->set_future_tolerance_seconds(367 * 86400);
  const absl::Status status = policy.Apply(change);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "policy business_time.future_tolerance_seconds: 31708800 is not in [0, 31622400]");
  change.mutable_business_time()->set_future_tolerance_seconds(-1);
  EXPECT_FALSE(policy.Apply(change).ok());
  EXPECT_EQ(policy.future_tolerance_us(), 24 * kHourUs);
}

// Logs that never set the tolerance keep their canonical states, byte for
// byte: the default is not written into the policy's values.
TEST(FutureToleranceTest, TheDefaultIsNotPartOfThePolicyState) {
  const Policy policy;
  EXPECT_FALSE(policy.values().has_business_time());
  auto restored = Policy::FromValues(policy.values());
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->future_tolerance_us(), 24 * kHourUs);
}

}  // namespace
}  // namespace loyalty::projections
