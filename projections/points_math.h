// The arithmetic of the points rules. Integer only: products are computed in
// 128 bits, so they cannot overflow for any int64 inputs; each result fits
// int64 when the inputs respect the limits of loyalty/limits.h.
#ifndef LOYALTY_PROJECTIONS_POINTS_MATH_H_
#define LOYALTY_PROJECTIONS_POINTS_MATH_H_

#include <cstdint>

namespace loyalty::projections {

// 10000 basis points = 1.0x.
inline constexpr int64_t kBasisPointsPerUnit = 10000;

// The points a purchase earns:
//   floor(floor(amount_fen / fen_per_point) * multiplier_bp / 10000).
// Requires amount_fen >= 0, fen_per_point > 0, multiplier_bp >= 0.
// Example: PurchasePoints(12345, 100, 12500) == 153 (123 * 1.25 = 153.75).
int64_t PurchasePoints(int64_t amount_fen, int64_t fen_per_point, int64_t multiplier_bp);

// The total clawed back from a purchase of `amount_fen` that earned
// `points_earned`, once `refunded_fen` of it is refunded in all:
//   floor(points_earned * refunded_fen / amount_fen); 0 if amount_fen <= 0.
// Each refund claws ClawbackTotal(after) - ClawbackTotal(before), so partial
// refunds add up to exactly points_earned when the whole amount is refunded.
// Example: A=10000, P=100, refunds 3333, 3333, 3334 claw 33, 33, 34.
int64_t ClawbackTotal(int64_t points_earned, int64_t refunded_fen, int64_t amount_fen);

// floor(part * 10000 / whole) in basis points; 0 if whole <= 0.
// Example: RateBp(1, 3) == 3333.
int64_t RateBp(int64_t part, int64_t whole);

// a + b, or the int64 limit it passes: for report sums over many events or
// members (a partner's sales, the points outstanding), where a log of
// rule-breaking events must not overflow.
int64_t SaturatingAdd(int64_t a, int64_t b);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_POINTS_MATH_H_
