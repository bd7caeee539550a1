// Limits of the domain core, checked by the deciders and by Policy: past a
// limit a command is rejected with InvalidArgument naming the field, its
// value and the limit. They keep every sum and product of the rules far
// from int64 overflow (products are computed in 128 bits regardless).
#ifndef LOYALTY_PROJECTIONS_DOMAIN_LIMITS_H_
#define LOYALTY_PROJECTIONS_DOMAIN_LIMITS_H_

#include <cstdint>

namespace loyalty::projections {

// One purchase or refund: 10 billion CNY.
inline constexpr int64_t kMaxAmountFen = 1'000'000'000'000;
// One grant, redemption or debit.
inline constexpr int64_t kMaxPointsPerEvent = 1'000'000'000'000;
// A member's lifetime total of points granted, and of points debited
// (clawbacks and adjustments): with every per-event limit above, no sum of
// one member's points can then overflow int64 (whose limit is about 9.2e18).
inline constexpr int64_t kMaxPointsTotal = 1'000'000'000'000'000'000;
// An earning multiplier: 100x.
inline constexpr int64_t kMaxMultiplierBp = 1'000'000;
// A tier threshold: 10 billion CNY.
inline constexpr int64_t kMaxThresholdFen = 1'000'000'000'000;
// A policy's count of days (window, protection, SLA, retention): 100 years.
inline constexpr int64_t kMaxPolicyDays = 36'600;
// ExpiryPolicy.years_after_grant_year.
inline constexpr int64_t kMaxYearsAfterGrantYear = 100;
// BusinessTimePolicy.future_tolerance_seconds: a year. Input dated further
// ahead is a mistake, whatever the policy says.
inline constexpr int64_t kMaxFutureToleranceSeconds = 366LL * 86'400;
// Its default: 24 hours.
inline constexpr int64_t kDefaultFutureToleranceSeconds = 86'400;
// The length of a free-text reason or note, in bytes.
inline constexpr int64_t kMaxNoteBytes = 1024;

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_DOMAIN_LIMITS_H_
