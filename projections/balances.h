// loyalty::projections::BalanceProjection — every member's points.
//
// Per member: lots with their expiry, debt, lifetime totals, purchases with
// the points they earned and what was refunded and clawed back, birthday
// years granted, redemption ids, erasure and last activity.
//
// Events it uses (what each applies of an event that breaks a rule, which
// is then recorded in anomalies(): see anomaly.h for the rules):
//  MemberEnrolled / MemberErased: a member appears / is marked erased (its
//    points stay: erasure removes personal data, not facts). A second
//    enrolment changes nothing (member_already_enrolled).
//  PurchaseRecorded: records the purchase. It grants nothing: the points
//    come in the PointsGranted (reason PURCHASE) that follows it. A purchase
//    id the member already has changes nothing (duplicate_purchase); one
//    that another member has is recorded for this member too (its own
//    stream must give its state), also as duplicate_purchase, and
//    FindPurchaseMember names the smallest of their member ids.
//  RefundRecorded: adds to the purchase's refunded amount, at most what is
//    left of the purchase (refund_exceeds_purchase: the rest is dropped).
//    Points come back through the PointsDebited (reason CLAWBACK) that
//    follows it. A refund id already recorded (duplicate_refund) or a
//    purchase the member does not have (unknown_purchase) changes nothing.
//  PointsGranted: repays debt, then adds a lot expiring at the end of
//    31 December of (the grant's local year + years_after_grant_year), per
//    the expiry policy in force. Reason PURCHASE links the points to the
//    purchase; reason BIRTHDAY records the year. A second grant for a
//    purchase or a year (duplicate_grant), one naming a purchase the member
//    does not have (unknown_purchase), a birthday year below 1
//    (birthday_year_out_of_range) or an unknown reason (unknown_reason)
//    changes nothing.
//  PointsRedeemed: takes points, soonest-expiring lots first (ties: oldest
//    grant, then first granted). At most the available balance: the rest is
//    dropped (redemption_exceeds_balance), so a redemption never makes debt.
//    A redemption id already recorded changes nothing (duplicate_redemption).
//  PointsDebited: CLAWBACK takes from the purchase's own lot first (as much
//    as it still holds), then soonest-expiring first; ADJUSTMENT takes
//    soonest-expiring first. What the lots cannot cover becomes debt. A
//    clawback takes at most what the purchase earned and has not had clawed
//    back (clawback_exceeds_earned: the rest is dropped); one naming a
//    purchase the member does not have, or an unknown reason, changes
//    nothing.
//  PolicySet: the policy in force from then on; one Policy::CheckChange
//    rejects changes nothing (invalid_policy).
//  ComplaintFiled, SurveyAnswered: change nothing here; one naming a member
//    not enrolled is recorded (member_not_enrolled).
// Any event of a member never enrolled changes nothing
// (member_not_enrolled), nor one with an empty id (missing_id), points or
// an amount out of range, or one that would take the member's lifetime
// grants or debits past kMaxPointsTotal (points_total_out_of_range); an
// event of a member's kind off "member-<member_id>" (or a PolicySet off
// "policy") is applied by no projection (home_stream.h).
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
#include "projections/member_projection.h"
#include "projections/points_account.h"
#include "projections/policy.h"
#include "projections/projection.h"
#include "projections/replay.h"

namespace loyalty::projections {

// FindMember, members(), policy(), now_us() and last_sequence(): see
// member_projection.h.
class BalanceProjection final : public MemberProjection<MemberAccount> {
 public:
  BalanceProjection() = default;

  // "balances".
  absl::string_view name() const override { return "balances"; }
  absl::Status Apply(const v1::Envelope& envelope) override;
  void Prefetch(const v1::Envelope& envelope, PrefetchStep step) const override;
  void AdvanceTo(int64_t instant_us) override;
  absl::Status Restore(absl::string_view canonical_state) override;

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
  // breaks an invariant Restore checks, FailedPrecondition if the member is
  // already here.
  absl::Status AdoptMember(const state::MemberBalance& member);

  // The member who made purchase `purchase_id`, or nullptr if none did
  // (of several, which only a log breaking the rules holds, the smallest
  // member id).
  const std::string* FindPurchaseMember(absl::string_view purchase_id) const;

  // The points liability: the points members hold in unexpired lots, summed
  // over every member (erased ones included). Debt is NOT subtracted: what
  // one member owes does not reduce what the mall owes the others; a member
  // with debt holds no lots, so each adds max(balance, 0). Saturates at the
  // int64 limit.
  int64_t OutstandingPoints() const;
  // The liability AdvanceTo(instant_us) would leave, changing nothing: lots
  // that expire before `instant_us` are left out.
  int64_t OutstandingPointsAt(int64_t instant_us) const;

  // The points members owe, summed over every member; saturates likewise.
  int64_t DebtPoints() const;

 private:
  void Dispatch(const v1::Envelope& envelope);
  void OnEnrolled(const v1::Envelope& envelope);
  void OnErased(const v1::Envelope& envelope);
  void OnPurchase(const v1::Envelope& envelope);
  void OnRefund(const v1::Envelope& envelope);
  void OnGranted(const v1::Envelope& envelope);
  void OnRedeemed(const v1::Envelope& envelope);
  void OnDebited(const v1::Envelope& envelope);
  void OnActivity(absl::string_view member_id, int64_t occurred_at_us);
  // Records member_not_enrolled when the `what` (a complaint or a survey)
  // `id` names a member not enrolled.
  void CheckNamedMember(const v1::Envelope& envelope, absl::string_view what,
                        absl::string_view id, absl::string_view member_id);

  // Rebuilds the index derived from members_ (after Restore).
  void RebuildIndexes();
  void WriteCanonicalState(CanonicalSink sink) const override;

  // Derived from members_, not part of the canonical state.
  absl::flat_hash_map<std::string, std::string> purchase_member_;
};

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_BALANCES_H_
