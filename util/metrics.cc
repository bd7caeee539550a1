#include "util/metrics.h"

namespace loyalty::util {

void ErrorCounters::Count(absl::StatusCode code) {
  const auto index = static_cast<size_t>(code);
  counts_[index < kCodes ? index : static_cast<size_t>(absl::StatusCode::kUnknown)].Increment();
}

std::vector<ErrorCount> ErrorCounters::Snapshot(uint64_t* total) const {
  std::vector<ErrorCount> errors;
  *total = 0;
  for (size_t code = 0; code < kCodes; ++code) {
    const uint64_t count = counts_[code].Value();
    if (count == 0) continue;
    errors.push_back({static_cast<absl::StatusCode>(code), count});
    *total += count;
  }
  return errors;
}

int64_t MonotonicMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace loyalty::util
