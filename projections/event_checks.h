// Checks of the fields of an event being applied, shared by the projections.
// Each returns DataLoss naming the sequence, the field and the value: the
// deciders never write such an event, so meeting one means the log holds
// something the rules cannot explain. Internal to projections/.
#ifndef LOYALTY_PROJECTIONS_EVENT_CHECKS_H_
#define LOYALTY_PROJECTIONS_EVENT_CHECKS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty::projections {

// `value` of `field` is not empty.
absl::Status CheckEventId(const v1::Envelope& envelope, absl::string_view field,
                          absl::string_view value);

// 0 < points <= kMaxPointsPerEvent.
absl::Status CheckEventPoints(const v1::Envelope& envelope, int64_t points);

// 0 < amount_fen <= kMaxAmountFen.
absl::Status CheckEventAmount(const v1::Envelope& envelope, int64_t amount_fen);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_EVENT_CHECKS_H_
