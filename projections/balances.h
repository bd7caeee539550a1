// loyalty::projections::BalanceProjection — every member's points.
//
// Per member: lots with their expiry, debt, lifetime totals, purchases with
// the points they earned and what was refunded and clawed back, birthday
// years granted, redemption ids, erasure and last activity.
//
// Events it uses:
//  MemberEnrolled / MemberErased: a member appears / is marked erased (its
//    points stay: erasure removes personal data, not facts).
//  PurchaseRecorded: records the purchase. It grants nothing: the points
//    come in the PointsGranted (reason PURCHASE) that follows it.
//  RefundRecorded: adds to the purchase's refunded amount. Points come back
//    through the PointsDebited (reason CLAWBACK) that follows it.
//  PointsGranted: repays debt, then adds a lot expiring at the end of
//    31 December of (the grant's local year + years_after_grant_year), per
//    the expiry policy in force. Reason PURCHASE links the points to the
//    purchase; reason BIRTHDAY records the year.
//  PointsRedeemed: takes points, soonest-expiring lots first (ties: oldest
//    grant, then first granted). Never more than the balance.
//  PointsDebited: CLAWBACK takes from the purchase's own lot first (as much
//    as it still holds), then soonest-expiring first; ADJUSTMENT takes
//    soonest-expiring first. What the lots cannot cover becomes debt.
//  PolicySet: the policy in force from then on.
// Nothing else: every member's state depends only on the events of the
// member's own stream and the policy events, so that Engine::Member, which
// replays only those, gives what a full replay gives. Complaints and surveys
// (on streams of their own) are not counted in a member's last activity
// here; retention combines the activity the projections record.
// Time: every member has its own now (MemberAccount::now_us; see
// projection.h). An event of the member's own stream first moves the
// member's now to max(now, occurred_at), expiring the member's lots with
// expires_at_us < that instant (lifetime expired total), then applies at
// that instant; no other member's lots are touched. AdvanceTo(T) does the
// same for every member. A lot's expiry is fixed at grant, by the expiry
// policy in force then, so expiring it reads no policy.
#ifndef LOYALTY_PROJECTIONS_BALANCES_H_
#define LOYALTY_PROJECTIONS_BALANCES_H_

#include <cstdint>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "projections/points_account.h"
#include "projections/policy.h"
#include "projections/projection.h"
#include "projections/replay.h"

namespace loyalty::projections {

class BalanceProjection final : public Projection {
 public:
  BalanceProjection() = default;

  // "balances".
  absl::string_view name() const override { return "balances"; }
  absl::Status Apply(const v1::Envelope& envelope) override;
  void Prefetch(const v1::Envelope& envelope, PrefetchStep step) const override;
  void AdvanceTo(int64_t instant_us) override;
  std::string CanonicalState() const override;
  absl::Status Restore(absl::string_view canonical_state) override;

  // The member's account, or nullptr if the member was never enrolled.
  const MemberAccount* FindMember(absl::string_view member_id) const;

  // The member's balance for an event of the member occurring at
  // `instant_us`: as of max(instant_us, the member's now), leaving out lots
  // that expire before then. Negative when the member owes points. NotFound
  // for an unknown member.
  absl::StatusOr<int64_t> BalancePointsAt(absl::string_view member_id, int64_t instant_us) const;

  // One member's account in canonical form, for a snapshot of that member
  // alone (see member_snapshot.h). False, leaving `out` as it was, for a
  // member never enrolled.
  bool MemberState(absl::string_view member_id, state::MemberBalance* out) const;

  // Adds a member that MemberState took from another balance projection, as
  // if its events had been applied here: applying the member's later events
  // and the policy events (in log order) then gives the member the state the
  // other projection gives it. Moves the projection-wide now to the
  // member's now. Errors, leaving the state as it was: DataLoss if the state
  // breaks an invariant Restore checks, FailedPrecondition if the member or
  // one of its purchase ids is already here.
  absl::Status AdoptMember(const state::MemberBalance& member);

  // The member who made purchase `purchase_id`, or nullptr if none did.
  const std::string* FindPurchaseMember(absl::string_view purchase_id) const;

  // The points liability: the points members hold in unexpired lots, summed
  // over every member (erased ones included). Debt is NOT subtracted: what
  // one member owes does not reduce what the mall owes the others; a member
  // with debt holds no lots, so each adds max(balance, 0).
  int64_t OutstandingPoints() const;

  // The points members owe, summed over every member.
  int64_t DebtPoints() const;

  // Every member, by id.
  // Every member, by id, in no particular order (CanonicalState sorts them).
  const absl::flat_hash_map<std::string, MemberAccount>& members() const { return members_; }

  const Policy& policy() const { return policy_; }
  // The latest instant any event or AdvanceTo reached (the state's header).
  // No member's state depends on it: each has its own now.
  int64_t now_us() const { return position_.now_us(); }
  uint64_t last_sequence() const { return position_.last_sequence(); }

 private:
  absl::Status Dispatch(const v1::Envelope& envelope);
  absl::Status OnEnrolled(const v1::Envelope& envelope);
  absl::Status OnErased(const v1::Envelope& envelope);
  absl::Status OnPurchase(const v1::Envelope& envelope);
  absl::Status OnRefund(const v1::Envelope& envelope);
  absl::Status OnGranted(const v1::Envelope& envelope);
  absl::Status OnRedeemed(const v1::Envelope& envelope);
  absl::Status OnDebited(const v1::Envelope& envelope);
  void OnActivity(absl::string_view member_id, int64_t occurred_at_us);

  // The account `member_id` names: DataLoss if empty, FailedPrecondition if
  // the member is unknown.
  absl::StatusOr<MemberAccount*> AccountFor(const v1::Envelope& envelope,
                                            absl::string_view member_id);
  // Moves the member whose stream holds `envelope` to its occurred-at, and
  // remembers its account for the rest of the event (own_account_).
  void AdvanceOwnMember(const v1::Envelope& envelope);
  // Rebuilds the index derived from members_ (after Restore). False if
  // two members hold one purchase id.
  bool RebuildIndexes();

  ReplayPosition position_;
  Policy policy_;
  // Hashed, not ordered: looking a member up is the hot path of a replay.
  absl::flat_hash_map<std::string, MemberAccount> members_;
  // Derived from members_, not part of the canonical state.
  absl::flat_hash_map<std::string, std::string> purchase_member_;
  // While one event is applied: the account of the member whose stream
  // holds it, found once instead of once per step (nullptr: none, or not
  // enrolled), and that member's id (a view into the event).
  MemberAccount* own_account_ = nullptr;
  absl::string_view own_member_id_;
};

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_BALANCES_H_
