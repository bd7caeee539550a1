#include "projections/points_math.h"

#include <limits>

namespace loyalty::projections {
namespace {

// floor(a * b / c) for a, b >= 0 and c > 0, saturated at the int64 maximum.
int64_t MulDiv(int64_t a, int64_t b, int64_t c) {
  const __int128 result = static_cast<__int128>(a) * b / c;
  if (result > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(result);
}

}  // namespace

int64_t PurchasePoints(int64_t amount_fen, int64_t fen_per_point, int64_t multiplier_bp) {
  return MulDiv(amount_fen / fen_per_point, multiplier_bp, kBasisPointsPerUnit);
}

int64_t ClawbackTotal(int64_t points_earned, int64_t refunded_fen, int64_t amount_fen) {
  if (amount_fen <= 0) return 0;
  return MulDiv(points_earned, refunded_fen, amount_fen);
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

int64_t RateBp(int64_t part, int64_t whole) {
  if (whole <= 0) return 0;
  return MulDiv(part, kBasisPointsPerUnit, whole);
}

}  // namespace loyalty::projections
