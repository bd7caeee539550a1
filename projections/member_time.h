// Which member's business time an event moves. Internal to projections/.
//
// A member's "now" moves only with the events of the member's own stream
// ("member-<member_id>", see deciders.h), so that replaying that stream with
// the policy stream gives exactly the member's state of a full replay (the
// rule is stated in projection.h).
#ifndef LOYALTY_PROJECTIONS_MEMBER_TIME_H_
#define LOYALTY_PROJECTIONS_MEMBER_TIME_H_

#include "absl/strings/string_view.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty::projections {

// The member whose time `event` moves: the member id of an event of a kind
// written to the member's own stream (enrolment, profile update, erasure,
// consent change, purchase, refund, points granted, redeemed or debited).
// Empty for every other kind, including those that name a member but live
// on another stream (a complaint, a survey answer, an activity attended):
// they record their facts without moving the member's now. Empty as well
// when the event leaves the member id empty.
absl::string_view TimeOwningMemberId(const v1::Event& event);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_MEMBER_TIME_H_
