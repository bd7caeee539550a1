// The one rule about the business time of new input: it may not lie in the
// future, beyond a tolerance (BusinessTimePolicy). A purchase dated 2099
// would expire every point its member has and move every report to "as of
// 2099"; the log cannot be rewritten, so such input is refused at the door.
// Replays never check it: the events in the log were accepted when they came.
#ifndef LOYALTY_PROJECTIONS_BUSINESS_TIME_H_
#define LOYALTY_PROJECTIONS_BUSINESS_TIME_H_

#include <cstdint>

#include "absl/status/status.h"
#include "projections/policy.h"

namespace loyalty::projections {

// InvalidArgument when occurred_at_us is later than now_us (the ledger
// clock's now) plus the policy's future tolerance, naming the field, both
// times in RFC 3339 (UTC) and the tolerance:
//   occurred_at_us: 2099-03-01T02:00:00.000000Z is later than the ledger
//   clock's now 2024-06-01T00:00:00.000000Z plus the tolerance of 24h
//   (policy business_time.future_tolerance_seconds 86400)
absl::Status CheckBusinessTimeNotAhead(int64_t occurred_at_us, int64_t now_us,
                                       const Policy& policy);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_BUSINESS_TIME_H_
