#include "projections/member_time.h"

#include "projections/home_stream.h"

namespace loyalty::projections {

bool IsMemberStreamKind(const v1::Event& event) {
  switch (event.kind_case()) {
    case v1::Event::kMemberEnrolled:
    case v1::Event::kMemberProfileUpdated:
    case v1::Event::kMemberErased:
    case v1::Event::kConsentChanged:
    case v1::Event::kPurchaseRecorded:
    case v1::Event::kRefundRecorded:
    case v1::Event::kPointsGranted:
    case v1::Event::kPointsRedeemed:
    case v1::Event::kPointsDebited:
      return true;
    default:
      return false;
  }
}

absl::string_view MemberIdNamedBy(const v1::Event& event) {
  switch (event.kind_case()) {
    case v1::Event::kMemberEnrolled:
      return event.member_enrolled().member_id();
    case v1::Event::kMemberProfileUpdated:
      return event.member_profile_updated().member_id();
    case v1::Event::kMemberErased:
      return event.member_erased().member_id();
    case v1::Event::kConsentChanged:
      return event.consent_changed().member_id();
    case v1::Event::kPurchaseRecorded:
      return event.purchase_recorded().member_id();
    case v1::Event::kRefundRecorded:
      return event.refund_recorded().member_id();
    case v1::Event::kPointsGranted:
      return event.points_granted().member_id();
    case v1::Event::kPointsRedeemed:
      return event.points_redeemed().member_id();
    case v1::Event::kPointsDebited:
      return event.points_debited().member_id();
    default:
      return {};
  }
}

absl::string_view TimeOwningMemberId(const v1::Envelope& envelope) {
  const absl::string_view member_id = MemberIdNamedBy(envelope.event());
  if (member_id.empty() || !IsStreamOf(envelope.stream_id(), "member-", member_id)) return {};
  return member_id;
}

}  // namespace loyalty::projections
