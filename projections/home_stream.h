// The stream each kind of event belongs on, and the check a projection makes
// before it applies an event of a kind that has one. Internal to
// projections/.
//
// Replays of part of the log rely on where the deciders write events:
// Engine::Member replays a member's stream with the policy stream,
// Engine::Complaint a complaint's stream with the calendar and policy
// streams. An event of such a kind on another stream would change the full
// replay but not those partial ones, so no projection applies it: it is
// recorded as an anomaly (anomaly.h) instead.
#ifndef LOYALTY_PROJECTIONS_HOME_STREAM_H_
#define LOYALTY_PROJECTIONS_HOME_STREAM_H_

#include "loyalty/v1/envelope.pb.h"
#include "projections/anomaly.h"

namespace loyalty::projections {

// Whether `envelope` is of a kind with a home stream and must not be
// applied where it is; if so records why in `anomalies` (nullptr: nowhere):
//  missing_id: the id that names its home stream is empty (the member_id of
//    a member's event, the complaint_id of a complaint's event);
//  stream_mismatch: it is not on its home stream:
//    the member kinds (member_time.h): "member-<member_id>";
//    the complaint kinds (filed, replied, investigation started, resolved,
//      customer notified, customer confirmed): "complaint-<complaint_id>";
//    PolicySet: "policy"; CalendarDaysDeclared: "calendar".
// False for an event on its home stream and for the kinds without one
// (survey answers, activities, schema registrations).
bool RecordIfMisplaced(const v1::Envelope& envelope, AnomalyLog* anomalies);

// The complaint id an event of a complaint's stream names (filed, replied,
// investigation started, resolved, customer notified, customer confirmed);
// false, leaving `complaint_id`, for the other kinds.
bool ComplaintIdOf(const v1::Event& event, absl::string_view* complaint_id);

// Whether `stream_id` is `prefix` followed by `id`, e.g. "member-" and "M1".
bool IsStreamOf(absl::string_view stream_id, absl::string_view prefix, absl::string_view id);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_HOME_STREAM_H_
