// loyalty::projections::TierProjection — every member's tier, protection,
// window purchases and tier history.
//
// Events it uses:
//  MemberEnrolled: a Regular member.
//  PurchaseRecorded: the purchase counts (at its own occurred-at) towards
//    qualifying spend; if the spend at now reaches a higher threshold the
//    member is upgraded at once, protected for protection_days from now.
//  RefundRecorded: reduces the refunded purchase's counted amount. Never
//    downgrades at once: it counts at the next re-evaluation.
//  PolicySet: the policy in force from then on.
// Time: when now passes the end of protection U, the member is re-evaluated
// against the spend at U (see MemberTier::ReevaluateBefore).
//
// Purchases that can no longer count (occurred at or before an evaluation
// instant minus the window in force) are forgotten, so a later, longer
// window does not bring them back.
#ifndef LOYALTY_PROJECTIONS_TIERS_H_
#define LOYALTY_PROJECTIONS_TIERS_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/statusor.h"
#include "projections/policy.h"
#include "projections/projection.h"
#include "projections/replay.h"
#include "projections/tier_rules.h"

namespace loyalty::projections {

// How many members hold each tier.
struct TierDistribution {
  int64_t regular = 0;
  int64_t silver = 0;
  int64_t gold = 0;
  int64_t platinum = 0;
};

class TierProjection final : public Projection {
 public:
  TierProjection() = default;

  // "tiers".
  absl::string_view name() const override { return "tiers"; }
  absl::Status Apply(const v1::Envelope& envelope) override;
  void AdvanceTo(int64_t instant_us) override;
  std::string CanonicalState() const override;
  absl::Status Restore(absl::string_view canonical_state) override;

  // The member's tier state, or nullptr if never enrolled.
  const MemberTier* FindMember(absl::string_view member_id) const;

  // The tier an event occurring at `instant_us` sees, before it is applied:
  // the tier as of max(instant_us, now), counting re-evaluations due before
  // then. This is the tier whose multiplier a purchase at that instant
  // earns with. NotFound for an unknown member.
  absl::StatusOr<v1::Tier> TierInForceAt(absl::string_view member_id, int64_t instant_us) const;

  // The member's qualifying spend at `instant_us` (at or after now) under
  // the window in force. NotFound for an unknown member.
  absl::StatusOr<int64_t> QualifyingSpendAt(absl::string_view member_id, int64_t instant_us) const;

  // How many members hold each tier now. For the distribution as of a later
  // instant T, AdvanceTo(T) first.
  TierDistribution Distribution() const;

  // Every member, by id.
  const absl::btree_map<std::string, MemberTier>& members() const { return members_; }

  const Policy& policy() const { return policy_; }
  int64_t now_us() const { return position_.now_us(); }
  uint64_t last_sequence() const { return position_.last_sequence(); }

 private:
  absl::Status Dispatch(const v1::Envelope& envelope);
  absl::Status OnEnrolled(const v1::Envelope& envelope);
  absl::Status OnPurchase(const v1::Envelope& envelope);
  absl::Status OnRefund(const v1::Envelope& envelope);
  absl::StatusOr<MemberTier*> MemberFor(const v1::Envelope& envelope, absl::string_view member_id);
  void Schedule(const std::string& member_id, const MemberTier& member);
  void RebuildSchedule();

  ReplayPosition position_;
  Policy policy_;
  absl::btree_map<std::string, MemberTier> members_;
  // Derived: (protected_until_us, member_id) of protected members. Stale
  // entries (a protection since replaced) make their visit a no-op.
  absl::btree_set<std::pair<int64_t, std::string>> protection_ends_;
};

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_TIERS_H_
