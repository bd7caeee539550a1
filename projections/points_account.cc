#include "projections/points_account.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "util/check.h"

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
  return LotPointsAt(instant_us) - debt_points;
}

int64_t MemberAccount::LotPointsAt(int64_t instant_us) const {
  int64_t sum = 0;
  for (const Lot& lot : lots) {
    if (lot.expires_at_us >= instant_us) sum += lot.points_remaining;
  }
  return sum;
}

void MemberAccount::CheckInvariants() const {
  // The same rules balances_codec.cc checks when it restores an account:
  // what is saved is what these keep.
  LOYALTY_CHECK_MSG(debt_points >= 0 && (debt_points == 0 || lots.empty()), "debt ",
                    debt_points, " held with ", lots.size(), " lots");
  for (size_t i = 0; i < lots.size(); ++i) {
    LOYALTY_DCHECK(lots[i].points_remaining > 0);
    LOYALTY_DCHECK(lots[i].lot_number != 0 && lots[i].lot_number < next_lot_number);
    LOYALTY_DCHECK(i == 0 || ConsumedBefore(lots[i - 1], lots[i]));
  }
}

uint64_t MemberAccount::Grant(Lot lot) {
  LOYALTY_CHECK_MSG(lot.points_remaining > 0, "grant of ", lot.points_remaining, " points");
  granted_points_total += lot.points_remaining;
  const int64_t repaid = std::min(debt_points, lot.points_remaining);
  debt_points -= repaid;
  lot.points_remaining -= repaid;
  if (lot.points_remaining == 0) {
    CheckInvariants();
    return 0;
  }
  lot.lot_number = next_lot_number++;
  const uint64_t number = lot.lot_number;
  lots.insert(std::upper_bound(lots.begin(), lots.end(), lot, ConsumedBefore), std::move(lot));
  CheckInvariants();
  return number;
}

void MemberAccount::Redeem(int64_t points) {
  LOYALTY_CHECK_MSG(points > 0 && points <= balance_points(), "redeeming ", points,
                    " points of a balance of ", balance_points());
  redeemed_points_total += points;
  const int64_t uncovered = TakeFromLots(points, 0);
  LOYALTY_CHECK_MSG(uncovered == 0, uncovered, " points of a redemption were not in lots");
  CheckInvariants();
}

void MemberAccount::Debit(int64_t points, uint64_t first_lot_number, bool clawback) {
  LOYALTY_CHECK_MSG(points > 0, "debit of ", points, " points");
  (clawback ? clawed_back_points_total : debited_points_total) += points;
  debt_points += TakeFromLots(points, first_lot_number);
  CheckInvariants();
}

int64_t MemberAccount::ExpireBefore(int64_t instant_us) {
  int64_t expired = 0;
  auto first_kept = std::find_if(lots.begin(), lots.end(), [instant_us](const Lot& lot) {
    return lot.expires_at_us >= instant_us;
  });
  for (auto it = lots.begin(); it != first_kept; ++it) expired += it->points_remaining;
  lots.erase(lots.begin(), first_kept);
  expired_points_total += expired;
  CheckInvariants();
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
