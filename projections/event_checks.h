// Checks of the fields of an event being applied, shared by the projections.
// Each returns true when the value is fine; otherwise it records in
// `anomalies` (anomaly.h) that the event is not applied, naming the field
// and the value, and returns false. The deciders never write such an event.
// Internal to projections/.
#ifndef LOYALTY_PROJECTIONS_EVENT_CHECKS_H_
#define LOYALTY_PROJECTIONS_EVENT_CHECKS_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "loyalty/v1/envelope.pb.h"
#include "projections/anomaly.h"

namespace loyalty::projections {

// `value` of `field` is not empty (missing_id otherwise).
bool CheckEventId(const v1::Envelope& envelope, absl::string_view field, absl::string_view value,
                  AnomalyLog* anomalies);

// 0 < points <= kMaxPointsPerEvent (points_out_of_range otherwise).
bool CheckEventPoints(const v1::Envelope& envelope, int64_t points, AnomalyLog* anomalies);

// 0 < amount_fen <= kMaxAmountFen (amount_out_of_range otherwise).
bool CheckEventAmount(const v1::Envelope& envelope, int64_t amount_fen, AnomalyLog* anomalies);

// 0 <= score <= 5, 0 being "not given" (score_out_of_range otherwise).
bool CheckEventScore(const v1::Envelope& envelope, absl::string_view field, int32_t score,
                     AnomalyLog* anomalies);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_EVENT_CHECKS_H_
