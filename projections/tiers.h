// loyalty::projections::TierProjection — every member's tier, protection,
// window purchases and tier history.
//
// Events it uses:
//  MemberEnrolled: a Regular member, whose now is the enrolment's occurred-at.
//  PurchaseRecorded: the purchase counts (at its own occurred-at) towards
//    qualifying spend; if the spend at the member's now reaches a higher
//    threshold the member is upgraded at once, protected for protection_days
//    from that now.
//  RefundRecorded: reduces the refunded purchase's counted amount. Never
//    downgrades at once: it counts at the next re-evaluation.
//  PolicySet: the policy in force from then on. It moves no member's time
//    and performs no re-evaluation.
//  Every other event of a member's own stream (points, erasure, ...; see
//    member_time.h) only moves that member's time, as below.
// What each applies of an event that breaks a rule, recorded then in
// anomalies() (anomaly.h): nothing for a member not enrolled
// (member_not_enrolled), a second enrolment (member_already_enrolled), an
// empty purchase or refund id (missing_id), an amount out of range
// (amount_out_of_range), a purchase id the member has in its window already
// (duplicate_purchase), an invalid policy (invalid_policy), or an event off
// its home stream (home_stream.h). Only the purchases in the window are
// known here, so a repeat of a purchase that has left it counts again, and
// refund ids are not kept, so a repeated refund counts again; a purchase's
// refunds count at most up to its amount. (The states keep what they kept
// before anomalies were recorded, so that their bytes stay those of a log
// without any.)
// Time: every member has its own now (MemberTier::now_us; see
// projection.h). An event of the member's own stream first moves the
// member's now to max(now, occurred_at), performing every re-evaluation due
// strictly before that instant, then applies at that instant; AdvanceTo(T)
// does the same for every member. When the member's now passes the end of
// protection U, the member is re-evaluated against the spend at U (see
// MemberTier::ReevaluateBefore).
//
// Which policy a re-evaluation at U uses: the policy in force when it is
// performed. It is performed lazily, and only by the member's own time:
// when the first event of the member's own stream that moves its now past U
// is applied, under the policy of the PolicySet events applied before that
// event in log order; or by the AdvanceTo call that passes U, under the
// policy of the PolicySet events applied before the call. A PolicySet never
// performs it, nor does another member's event. So it is not necessarily
// the policy in force at the business instant U: a PolicySet applied
// between U and the member's next event governs the re-evaluation at U.
// A replay of the member's stream with the policy stream applies the same
// PolicySet events in the same order relative to the member's events, and
// so re-evaluates under the same policy as a full replay. (Expiry, by
// contrast, uses the policy at grant, fixed in each lot.)
//
// Purchases that can no longer count (occurred at or before an evaluation
// instant minus the window in force) are forgotten, so a later, longer
// window does not bring them back.
#ifndef LOYALTY_PROJECTIONS_TIERS_H_
#define LOYALTY_PROJECTIONS_TIERS_H_

#include <cstdint>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "projections/member_projection.h"
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

// FindMember, members(), policy(), now_us() and last_sequence(): see
// member_projection.h.
class TierProjection final : public MemberProjection<MemberTier> {
 public:
  TierProjection() = default;

  // "tiers".
  absl::string_view name() const override { return "tiers"; }
  absl::Status Apply(const v1::Envelope& envelope) override;
  void Prefetch(const v1::Envelope& envelope, PrefetchStep step) const override;
  void AdvanceTo(int64_t instant_us) override;
  absl::Status Restore(absl::string_view canonical_state) override;

  // One member's tier state in canonical form, for a snapshot of that
  // member alone (see member_snapshot.h). False, leaving `out` as it was,
  // for a member never enrolled.
  bool MemberState(absl::string_view member_id, state::MemberTier* out) const;

  // Adds a member that MemberState took from another tier projection, as if
  // its events had been applied here (see BalanceProjection::AdoptMember).
  // Errors, leaving the state as it was: DataLoss if the state breaks an
  // invariant Restore checks, FailedPrecondition if the member is already
  // here.
  absl::Status AdoptMember(const state::MemberTier& member);

  // The tier an event of the member occurring at `instant_us` sees, before
  // it is applied: the tier as of max(instant_us, the member's now),
  // counting re-evaluations due before then under the policy in force now,
  // as applying that event would. This is the tier whose multiplier a
  // purchase at that instant earns with. NotFound for an unknown member.
  absl::StatusOr<v1::Tier> TierInForceAt(absl::string_view member_id, int64_t instant_us) const;

  // The member's qualifying spend at `instant_us` (at or after the
  // member's now) under the window in force. NotFound for an unknown member.
  absl::StatusOr<int64_t> QualifyingSpendAt(absl::string_view member_id, int64_t instant_us) const;

  // How many members hold each tier, each member as of its own now.
  TierDistribution Distribution() const;
  // The distribution AdvanceTo(instant_us) would leave, changing nothing:
  // each member as of max(instant_us, its own now).
  TierDistribution DistributionAt(int64_t instant_us) const;

 private:
  void Dispatch(const v1::Envelope& envelope);
  void WriteCanonicalState(CanonicalSink sink) const override;
  void OnEnrolled(const v1::Envelope& envelope);
  void OnPurchase(const v1::Envelope& envelope);
  void OnRefund(const v1::Envelope& envelope);
};

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_TIERS_H_
