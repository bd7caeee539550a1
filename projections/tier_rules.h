// loyalty::projections::MemberTier — one member's tier and the rules that
// move it: qualifying spend over a rolling window, immediate upgrade with
// protection, re-evaluation when protection ends.
//
// Pure data and rules; TierProjection decides when to call what. Each member
// carries its own business time (now_us); invariant: a protection, if any,
// ends at or after now_us (re-evaluations due before it are done).
#ifndef LOYALTY_PROJECTIONS_TIER_RULES_H_
#define LOYALTY_PROJECTIONS_TIER_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "loyalty/v1/common.pb.h"
#include "projections/policy.h"

namespace loyalty::projections {

enum class TierChangeCause : int32_t {
  // Qualifying spend reached a higher threshold on a purchase.
  kUpgrade = 1,
  // Protection ended and the tier became the one the spend qualifies for.
  kReevaluation = 2,
};

// One entry of a member's tier history.
struct TierChange {
  int64_t at_us = 0;  // the instant the change took effect
  v1::Tier from = v1::TIER_REGULAR;
  v1::Tier to = v1::TIER_REGULAR;
  TierChangeCause cause = TierChangeCause::kUpgrade;
  uint64_t sequence = 0;  // the purchase that upgraded; 0 for a re-evaluation (time-driven)
  int64_t qualifying_spend_fen = 0;  // the spend the decision was made on
};

// A purchase that may still count towards qualifying spend.
struct WindowPurchase {
  std::string purchase_id;
  int64_t occurred_at_us = 0;  // the purchase's own occurred-at
  int64_t amount_fen = 0;
  int64_t refunded_fen = 0;

  // What counts: the amount less its refunds, never below zero.
  int64_t counted_fen() const { return amount_fen > refunded_fen ? amount_fen - refunded_fen : 0; }
};

struct MemberTier {
  v1::Tier tier = v1::TIER_REGULAR;
  int64_t protected_until_us = 0;         // 0 when not protected (Regular)
  std::vector<WindowPurchase> purchases;  // in log order
  std::vector<TierChange> history;
  // The member's own business time: the latest occurred-at of the events of
  // its own stream and of the instants AdvanceTo moved it to. The events of
  // other members never move it.
  int64_t now_us = 0;

  // Purchases less refunds with occurred_at in (instant - window, instant];
  // saturates at the int64 limit.
  int64_t QualifyingSpendAt(int64_t instant_us, int64_t window_us) const;

  // Adds a purchase applied at now_us (the member's now, which the caller
  // has moved to at least its occurred-at), then upgrades to the highest
  // tier the spend at now_us reaches if that is above the current tier,
  // protecting it for the policy's protection from now_us. Returns true
  // when it upgraded.
  bool RecordPurchase(WindowPurchase purchase, uint64_t sequence, const Policy& policy);

  // Reduces the counted amount of purchase `purchase_id` (if still kept),
  // never below zero. Never changes the tier: refunds count at the next
  // re-evaluation.
  void RecordRefund(absl::string_view purchase_id, int64_t amount_fen);

  // Performs every re-evaluation due strictly before `instant_us`, under
  // `policy`: at instant U = protected_until_us the tier becomes the highest
  // the spend at U qualifies for (it may drop several levels, stay, or
  // rise); above Regular a new protection starts at U. Returns true if any
  // happened. Does not move now_us.
  bool ReevaluateBefore(int64_t instant_us, const Policy& policy);

  // The tier AdvanceTo(instant_us, policy) would leave, changing nothing:
  // a program query at an instant answers from the live state this way.
  v1::Tier TierAt(int64_t instant_us, const Policy& policy) const;

  // Moves now_us forward to `instant_us`, performing on the way every
  // re-evaluation due strictly before it, under `policy` (the policy in
  // force when this is called). An instant at or before now_us does
  // nothing.
  void AdvanceTo(int64_t instant_us, const Policy& policy);

 private:
  // The re-evaluation at `at_us` (a protection's end), changing nothing:
  // the spend then, the tier it qualifies for and the protection that tier
  // starts (0 for Regular). ReevaluateBefore applies it, TierAt reads it.
  struct Reevaluation {
    int64_t spend_fen = 0;
    v1::Tier tier = v1::TIER_REGULAR;
    int64_t protected_until_us = 0;
  };
  Reevaluation ReevaluationAt(int64_t at_us, const Policy& policy) const;
  // Forgets purchases that no evaluation at or after `instant_us` can count.
  void DropOutsideWindow(int64_t instant_us, int64_t window_us);
  void ChangeTier(const TierChange& change, int64_t protection_us);
  // Aborts (LOYALTY_ALL_CHECKS builds) when protection is not held exactly
  // above Regular.
  void CheckInvariants() const;
};

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_TIER_RULES_H_
