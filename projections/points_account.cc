#include "projections/points_account.h"

#include <algorithm>
#include <cassert>
#include <tuple>
#include <utility>

namespace loyalty::projections {

bool ConsumedBefore(const Lot& a, const Lot& b) {
  return std::tie(a.expires_at_us, a.granted_at_us, a.lot_number) <
         std::tie(b.expires_at_us, b.granted_at_us, b.lot_number);
}

int64_t MemberAccount::lot_points() const {
  int64_t sum = 0;
  for (const Lot& lot : lots) sum += lot.points_remaining;
  return sum;
}

int64_t MemberAccount::BalancePointsAt(int64_t instant_us) const {
  int64_t sum = 0;
  for (const Lot& lot : lots) {
    if (lot.expires_at_us >= instant_us) sum += lot.points_remaining;
  }
  return sum - debt_points;
}

uint64_t MemberAccount::Grant(Lot lot) {
  assert(lot.points_remaining > 0);
  granted_points_total += lot.points_remaining;
  const int64_t repaid = std::min(debt_points, lot.points_remaining);
  debt_points -= repaid;
  lot.points_remaining -= repaid;
  if (lot.points_remaining == 0) return 0;
  lot.lot_number = next_lot_number++;
  const uint64_t number = lot.lot_number;
  lots.insert(std::upper_bound(lots.begin(), lots.end(), lot, ConsumedBefore), std::move(lot));
  return number;
}

void MemberAccount::Redeem(int64_t points) {
  assert(points > 0 && points <= balance_points());
  redeemed_points_total += points;
  [[maybe_unused]] const int64_t uncovered = TakeFromLots(points, 0);
  assert(uncovered == 0);
}

void MemberAccount::Debit(int64_t points, uint64_t first_lot_number, bool clawback) {
  assert(points > 0);
  (clawback ? clawed_back_points_total : debited_points_total) += points;
  debt_points += TakeFromLots(points, first_lot_number);
}

int64_t MemberAccount::ExpireBefore(int64_t instant_us) {
  int64_t expired = 0;
  auto first_kept = std::find_if(lots.begin(), lots.end(), [instant_us](const Lot& lot) {
    return lot.expires_at_us >= instant_us;
  });
  for (auto it = lots.begin(); it != first_kept; ++it) expired += it->points_remaining;
  lots.erase(lots.begin(), first_kept);
  expired_points_total += expired;
  return expired;
}

void MemberAccount::AdvanceTo(int64_t instant_us) {
  if (instant_us <= now_us) return;
  ExpireBefore(instant_us);
  now_us = instant_us;
}

int64_t MemberAccount::TakeFromLots(int64_t points, uint64_t first_lot_number) {
  if (first_lot_number != 0) {
    auto own = std::find_if(lots.begin(), lots.end(), [first_lot_number](const Lot& lot) {
      return lot.lot_number == first_lot_number;
    });
    if (own != lots.end()) points -= TakeFromLot(own - lots.begin(), points);
  }
  for (size_t i = 0; points > 0 && i < lots.size(); ++i) points -= TakeFromLot(i, points);
  lots.erase(std::remove_if(lots.begin(), lots.end(),
                            [](const Lot& lot) { return lot.points_remaining == 0; }),
             lots.end());
  return points;
}

int64_t MemberAccount::TakeFromLot(size_t index, int64_t points) {
  const int64_t taken = std::min(points, lots[index].points_remaining);
  lots[index].points_remaining -= taken;
  return taken;
}

}  // namespace loyalty::projections
