// The mall's local time: Asia/Shanghai, a fixed UTC+8 without daylight saving.
//
// Instants are int64 microseconds since the Unix epoch, UTC (`*_at_us`).
// "A day" or "a year" in the business rules is a local calendar day or year.
#ifndef LOYALTY_PROJECTIONS_LOCAL_TIME_H_
#define LOYALTY_PROJECTIONS_LOCAL_TIME_H_

#include <cstdint>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace loyalty::projections {

// UTC+8. China has kept no daylight saving since 1991, so a fixed offset is
// exact for every instant the mall can record.
inline constexpr int kLocalUtcOffsetSeconds = 8 * 60 * 60;

inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

// The fixed UTC+8 zone.
absl::TimeZone LocalTimeZone();

// The local wall-clock second and day of an instant.
absl::CivilSecond LocalSecondOf(int64_t instant_us);
absl::CivilDay LocalDayOf(int64_t instant_us);

// The instant of a local wall-clock time (whole seconds).
int64_t LocalInstantUs(absl::CivilSecond local);

// The first microsecond of a local day (00:00:00.000000).
int64_t StartOfLocalDayUs(absl::CivilDay day);

// The last microsecond of a local day (23:59:59.999999).
int64_t EndOfLocalDayUs(absl::CivilDay day);

// The last microsecond of 31 December of `year`, local time.
int64_t EndOfLocalYearUs(int64_t year);

// `instant_us + delta_us`, clamped to the int64 range instead of overflowing.
int64_t SaturatingAddUs(int64_t instant_us, int64_t delta_us);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_LOCAL_TIME_H_
