#include "projections/business_time.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "projections/local_time.h"

namespace loyalty::projections {
namespace {

std::string Rfc3339Utc(int64_t instant_us) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(instant_us),
                          absl::UTCTimeZone());
}

}  // namespace

absl::Status CheckBusinessTimeNotAhead(int64_t occurred_at_us, int64_t now_us,
                                       const Policy& policy) {
  const int64_t tolerance_us = policy.future_tolerance_us();
  if (occurred_at_us <= SaturatingAddUs(now_us, tolerance_us)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "occurred_at_us: ", Rfc3339Utc(occurred_at_us), " is later than the ledger clock's now ",
      Rfc3339Utc(now_us), " plus the tolerance of ",
      absl::FormatDuration(absl::Microseconds(tolerance_us)),
      " (policy business_time.future_tolerance_seconds ", tolerance_us / kMicrosPerSecond, ")"));
}

}  // namespace loyalty::projections
