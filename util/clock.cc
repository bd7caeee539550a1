#include "loyalty/clock.h"

#include "absl/time/clock.h"

namespace loyalty {

int64_t SystemClock::NowMicros() const { return absl::GetCurrentTimeNanos() / 1000; }

const Clock* DefaultClock() {
  static const SystemClock clock;
  return &clock;
}

}  // namespace loyalty
