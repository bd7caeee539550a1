#include "projections/local_time.h"

#include <limits>

namespace loyalty::projections {

// Made once: FixedTimeZone names the zone and looks the name up in cctz's
// registry, under its lock, on every call, and grants, SLA clocks and
// calendars convert instants for most events of a replay.
absl::TimeZone LocalTimeZone() {
  static const absl::TimeZone zone = absl::FixedTimeZone(kLocalUtcOffsetSeconds);
  return zone;
}

absl::CivilSecond LocalSecondOf(int64_t instant_us) {
  return absl::ToCivilSecond(absl::FromUnixMicros(instant_us), LocalTimeZone());
}

absl::CivilDay LocalDayOf(int64_t instant_us) { return absl::CivilDay(LocalSecondOf(instant_us)); }

int64_t LocalInstantUs(absl::CivilSecond local) {
  return absl::ToUnixMicros(absl::FromCivil(local, LocalTimeZone()));
}

int64_t StartOfLocalDayUs(absl::CivilDay day) { return LocalInstantUs(absl::CivilSecond(day)); }

int64_t EndOfLocalDayUs(absl::CivilDay day) {
  return SaturatingAddUs(StartOfLocalDayUs(day + 1), -1);
}

int64_t EndOfLocalYearUs(int64_t year) { return EndOfLocalDayUs(absl::CivilDay(year, 12, 31)); }

int64_t SaturatingAddUs(int64_t instant_us, int64_t delta_us) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(instant_us, delta_us, &sum)) return sum;
  return delta_us > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

}  // namespace loyalty::projections
