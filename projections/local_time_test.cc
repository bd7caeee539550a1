#include "projections/local_time.h"

#include <limits>

#include "gtest/gtest.h"

namespace loyalty::projections {
namespace {

int64_t UtcUs(int64_t y, int m, int d, int hh, int mm, int ss) {
  return absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone()));
}

TEST(LocalTimeTest, LocalDayIsEightHoursAheadOfUtc) {
  // 2024-12-31 16:00:00 UTC is already New Year's Day in Shanghai.
  EXPECT_EQ(LocalDayOf(UtcUs(2024, 12, 31, 16, 0, 0)), absl::CivilDay(2025, 1, 1));
  EXPECT_EQ(LocalDayOf(UtcUs(2024, 12, 31, 15, 59, 59)), absl::CivilDay(2024, 12, 31));
}

TEST(LocalTimeTest, StartAndEndOfLocalDay) {
  const absl::CivilDay day(2024, 2, 10);
  EXPECT_EQ(StartOfLocalDayUs(day), UtcUs(2024, 2, 9, 16, 0, 0));
  EXPECT_EQ(EndOfLocalDayUs(day), UtcUs(2024, 2, 10, 16, 0, 0) - 1);
  EXPECT_EQ(LocalDayOf(EndOfLocalDayUs(day)), day);
  EXPECT_EQ(LocalDayOf(EndOfLocalDayUs(day) + 1), day + 1);
}

TEST(LocalTimeTest, EndOfLocalYearIsTheLastMicrosecondOfDecember31) {
  EXPECT_EQ(EndOfLocalYearUs(2025), UtcUs(2025, 12, 31, 16, 0, 0) - 1);
  EXPECT_EQ(LocalSecondOf(EndOfLocalYearUs(2025)), absl::CivilSecond(2025, 12, 31, 23, 59, 59));
}

TEST(LocalTimeTest, LocalInstantRoundTrips) {
  const absl::CivilSecond local(2024, 2, 29, 8, 30, 15);
  EXPECT_EQ(LocalSecondOf(LocalInstantUs(local)), local);
  EXPECT_EQ(LocalInstantUs(local), UtcUs(2024, 2, 29, 0, 30, 15));
}

TEST(LocalTimeTest, SaturatingAddClampsInsteadOfOverflowing) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(SaturatingAddUs(5, 7), 12);
  EXPECT_EQ(SaturatingAddUs(kMax - 1, 10), kMax);
  EXPECT_EQ(SaturatingAddUs(kMin + 1, -10), kMin);
}

}  // namespace
}  // namespace loyalty::projections
