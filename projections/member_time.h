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

// Whether `event` is of a kind written to a member's own stream: enrolment,
// profile update, erasure, consent change, purchase, refund, points granted,
// redeemed or debited.
bool IsMemberStreamKind(const v1::Event& event);

// The member id an event of those kinds names; empty for every other kind,
// including those that name a member but live on another stream (a
// complaint, a survey answer, an activity attended), and when the event
// leaves the member id empty.
absl::string_view MemberIdNamedBy(const v1::Event& event);

// The member whose time `envelope` moves: MemberIdNamedBy(its event) when
// the envelope is on that member's own stream. Empty otherwise: events of
// other kinds record their facts without moving any member's now, and an
// event of a member's kind on another stream is applied by no projection
// (home_stream.h).
absl::string_view TimeOwningMemberId(const v1::Envelope& envelope);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_MEMBER_TIME_H_
