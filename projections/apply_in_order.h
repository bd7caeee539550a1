// The frame of a projection's Apply: the order check before the event and
// the position recorded after it. Internal to projections/.
#ifndef LOYALTY_PROJECTIONS_APPLY_IN_ORDER_H_
#define LOYALTY_PROJECTIONS_APPLY_IN_ORDER_H_

#include "absl/status/status.h"
#include "loyalty/v1/envelope.pb.h"
#include "projections/replay.h"

namespace loyalty::projections {

// Runs `apply` for `envelope` and records it in `position`; an event out of
// order (ReplayPosition::CheckNext) changes nothing and fails.
template <typename Apply>
absl::Status ApplyInOrder(const v1::Envelope& envelope, ReplayPosition* position, Apply&& apply) {
  absl::Status status = position->CheckNext(envelope);
  if (!status.ok()) return status;
  apply();
  position->Record(envelope);
  return absl::OkStatus();
}

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_APPLY_IN_ORDER_H_
