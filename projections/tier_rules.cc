#include "projections/tier_rules.h"

#include <algorithm>
#include <utility>

#include "projections/local_time.h"
#include "projections/points_math.h"
#include "util/check.h"

namespace loyalty::projections {

int64_t MemberTier::QualifyingSpendAt(int64_t instant_us, int64_t window_us) const {
  const int64_t window_start_us = SaturatingAddUs(instant_us, -window_us);
  int64_t spend_fen = 0;
  for (const WindowPurchase& purchase : purchases) {
    if (purchase.occurred_at_us > window_start_us && purchase.occurred_at_us <= instant_us) {
      spend_fen = SaturatingAdd(spend_fen, purchase.counted_fen());
    }
  }
  return spend_fen;
}

bool MemberTier::RecordPurchase(WindowPurchase purchase, uint64_t sequence,
                                const Policy& policy) {
  purchases.push_back(std::move(purchase));
  DropOutsideWindow(now_us, policy.window_us());
  const int64_t spend_fen = QualifyingSpendAt(now_us, policy.window_us());
  const v1::Tier reached = policy.TierForSpend(spend_fen);
  if (reached <= tier) return false;
  ChangeTier({now_us, tier, reached, TierChangeCause::kUpgrade, sequence, spend_fen},
             policy.protection_us());
  return true;
}

void MemberTier::RecordRefund(absl::string_view purchase_id, int64_t amount_fen) {
  for (WindowPurchase& purchase : purchases) {
    // At most the amount: what counts is the same, and a log of repeated
    // refunds cannot overflow it.
    if (purchase.purchase_id == purchase_id) {
      purchase.refunded_fen = std::min(purchase.amount_fen, purchase.refunded_fen + amount_fen);
    }
  }
}

bool MemberTier::ReevaluateBefore(int64_t instant_us, const Policy& policy) {
  bool any = false;
  while (protected_until_us != 0 && protected_until_us < instant_us) {
    const int64_t at_us = protected_until_us;
    DropOutsideWindow(at_us, policy.window_us());
    const Reevaluation next = ReevaluationAt(at_us, policy);
    if (next.tier != tier) {
      history.push_back(
          {at_us, tier, next.tier, TierChangeCause::kReevaluation, 0, next.spend_fen});
    }
    tier = next.tier;
    protected_until_us = next.protected_until_us;
    any = true;
  }
  CheckInvariants();
  return any;
}

MemberTier::Reevaluation MemberTier::ReevaluationAt(int64_t at_us, const Policy& policy) const {
  Reevaluation out;
  out.spend_fen = QualifyingSpendAt(at_us, policy.window_us());
  out.tier = policy.TierForSpend(out.spend_fen);
  out.protected_until_us =
      out.tier == v1::TIER_REGULAR ? 0 : SaturatingAddUs(at_us, policy.protection_us());
  return out;
}

// The loop of ReevaluateBefore without its writes: QualifyingSpendAt counts
// only the window's purchases, so nothing needs dropping first.
v1::Tier MemberTier::TierAt(int64_t instant_us, const Policy& policy) const {
  Reevaluation at{0, tier, protected_until_us};
  while (at.protected_until_us != 0 && at.protected_until_us < instant_us) {
    at = ReevaluationAt(at.protected_until_us, policy);
  }
  return at.tier;
}

void MemberTier::AdvanceTo(int64_t instant_us, const Policy& policy) {
  if (instant_us <= now_us) return;
  ReevaluateBefore(instant_us, policy);
  now_us = instant_us;
  // tiers_codec.cc refuses a saved member whose protection ended before its
  // now: no re-evaluation may be left behind.
  LOYALTY_DCHECK(protected_until_us == 0 || protected_until_us >= now_us);
}

void MemberTier::DropOutsideWindow(int64_t instant_us, int64_t window_us) {
  const int64_t window_start_us = SaturatingAddUs(instant_us, -window_us);
  purchases.erase(std::remove_if(purchases.begin(), purchases.end(),
                                 [window_start_us](const WindowPurchase& purchase) {
                                   return purchase.occurred_at_us <= window_start_us;
                                 }),
                  purchases.end());
}

void MemberTier::ChangeTier(const TierChange& change, int64_t protection_us) {
  history.push_back(change);
  tier = change.to;
  protected_until_us = SaturatingAddUs(change.at_us, protection_us);
  CheckInvariants();
}

void MemberTier::CheckInvariants() const {
  // Protection is held exactly above Regular (tiers_codec.cc checks the
  // same of a saved member).
  LOYALTY_DCHECK_MSG((tier == v1::TIER_REGULAR) == (protected_until_us == 0), "tier ", tier,
                     " protected until ", protected_until_us);
}

}  // namespace loyalty::projections
