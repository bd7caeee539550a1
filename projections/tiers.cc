#include "projections/tiers.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "projections/event_checks.h"
#include "projections/member_time.h"
#include "projections/policy_projection.h"

namespace loyalty::projections {

absl::Status TierProjection::Apply(const v1::Envelope& envelope) {
  return ApplyOnMemberTime(
      envelope, [&](MemberTier& member) { member.AdvanceTo(envelope.occurred_at_us(), policy_); },
      [&] { Dispatch(envelope); });
}

void TierProjection::Prefetch(const v1::Envelope& envelope, PrefetchStep step) const {
  const absl::string_view member_id = TimeOwningMemberId(envelope);
  if (member_id.empty()) return;
  if (step == PrefetchStep::kEntries) {
    members_.prefetch(member_id);
    return;
  }
  auto it = members_.find(member_id);
  if (it == members_.end()) return;
  // Every event of the member's stream drops the purchases that left the
  // window, from the front.
  const std::vector<WindowPurchase>& purchases = it->second.purchases;
  if (!purchases.empty()) __builtin_prefetch(purchases.data());
}

// Every member, not only those whose protection ends: each member's now is
// state.
void TierProjection::AdvanceTo(int64_t instant_us) {
  position_.MoveTo(instant_us);
  for (auto& [member_id, member] : members_) member.AdvanceTo(instant_us, policy_);
}

void TierProjection::Dispatch(const v1::Envelope& envelope) {
  switch (envelope.event().kind_case()) {
    case v1::Event::kMemberEnrolled:
      return OnEnrolled(envelope);
    case v1::Event::kPurchaseRecorded:
      return OnPurchase(envelope);
    case v1::Event::kRefundRecorded:
      return OnRefund(envelope);
    case v1::Event::kPolicySet:
      ApplyPolicyEvent(envelope, &policy_, &anomalies_);
      return;
    default:
      return;
  }
}

void TierProjection::OnEnrolled(const v1::Envelope& envelope) {
  MemberTier* member = Enrol(envelope);
  if (member != nullptr) member->now_us = envelope.occurred_at_us();
}

void TierProjection::OnPurchase(const v1::Envelope& envelope) {
  const v1::PurchaseRecorded& purchase = envelope.event().purchase_recorded();
  MemberTier* member = MemberFor(envelope, purchase.member_id());
  if (member == nullptr ||
      !CheckEventId(envelope, "purchase_id", purchase.purchase_id(), &anomalies_) ||
      !CheckEventAmount(envelope, purchase.amount_fen(), &anomalies_)) {
    return;
  }
  // Only the purchases still in the window are known here: a repeat of one
  // that has left it counts again (tiers.h).
  for (const WindowPurchase& counted : member->purchases) {
    if (counted.purchase_id != purchase.purchase_id()) continue;
    anomalies_.Record(envelope, anomaly_rule::kDuplicatePurchase,
                      absl::StrCat("purchase ", QuotedForAnomaly(purchase.purchase_id()),
                                   " already counts for member ",
                                   QuotedForAnomaly(purchase.member_id()),
                                   "; the event is not applied"));
    return;
  }
  WindowPurchase counted{purchase.purchase_id(), envelope.occurred_at_us(), purchase.amount_fen(),
                         0};
  member->RecordPurchase(std::move(counted), envelope.sequence(), policy_);
}

void TierProjection::OnRefund(const v1::Envelope& envelope) {
  const v1::RefundRecorded& refund = envelope.event().refund_recorded();
  MemberTier* member = MemberFor(envelope, refund.member_id());
  if (member == nullptr ||
      !CheckEventId(envelope, "refund_id", refund.refund_id(), &anomalies_) ||
      !CheckEventAmount(envelope, refund.amount_fen(), &anomalies_) ||
      !CheckEventId(envelope, "purchase_id", refund.purchase_id(), &anomalies_)) {
    return;
  }
  member->RecordRefund(refund.purchase_id(), refund.amount_fen());
}

absl::StatusOr<v1::Tier> TierProjection::TierInForceAt(absl::string_view member_id,
                                                       int64_t instant_us) const {
  const MemberTier* member = FindMember(member_id);
  if (member == nullptr) {
    return absl::NotFoundError(absl::StrCat("member_id \"", member_id, "\" is not enrolled"));
  }
  // An instant before the member's now reaches no re-evaluation: none is
  // due before the member's now.
  return member->TierAt(instant_us, policy_);
}

absl::StatusOr<int64_t> TierProjection::QualifyingSpendAt(absl::string_view member_id,
                                                          int64_t instant_us) const {
  const MemberTier* member = FindMember(member_id);
  if (member == nullptr) {
    return absl::NotFoundError(absl::StrCat("member_id \"", member_id, "\" is not enrolled"));
  }
  return member->QualifyingSpendAt(instant_us, policy_.window_us());
}

TierDistribution TierProjection::Distribution() const {
  return DistributionAt(std::numeric_limits<int64_t>::min());
}

TierDistribution TierProjection::DistributionAt(int64_t instant_us) const {
  TierDistribution counts;
  for (const auto& [id, member] : members_) {
    switch (member.TierAt(instant_us, policy_)) {
      case v1::TIER_SILVER:
        ++counts.silver;
        break;
      case v1::TIER_GOLD:
        ++counts.gold;
        break;
      case v1::TIER_PLATINUM:
        ++counts.platinum;
        break;
      default:
        ++counts.regular;
        break;
    }
  }
  return counts;
}

}  // namespace loyalty::projections
