// Checks a batch of raw events (Engine::Append) in order against a scratch
// copy of the projections: each decision the events record (event_decision.h)
// must emit exactly the events given, and each event's business time may not
// be ahead of the ledger clock (projections/business_time.h). Accepted events
// are applied to the scratch copy, so each event is checked against the
// state the events before it leave.
#ifndef LOYALTY_ENGINE_RAW_BATCH_CHECK_H_
#define LOYALTY_ENGINE_RAW_BATCH_CHECK_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/personal_data.h"
#include "replay/projection_set.h"
#include "loyalty/ledger.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty::internal {

// What the check reads beside the scratch projections.
struct RawBatchContext {
  // The ledger clock's now: the bound of business time, and the recorded-at
  // the events get in the scratch copy.
  int64_t now_us = 0;
  // The last sequence the scratch copy applied.
  uint64_t applied_sequence = 0;
  // The version, in the state the copy was taken from, of every stream the
  // batch's events name.
  absl::flat_hash_map<std::string, uint64_t> stream_versions;
  // Personal data is read through it (sealed data must open; the birthday
  // job's birth dates), and events before the batch through `ledger`.
  const PersonalData* personal = nullptr;
  const Ledger* ledger = nullptr;
};

struct CheckedRawBatch {
  // Every stream of the batch at the version the check saw: what the append
  // must expect, so that no other writer slips in between.
  std::vector<std::pair<std::string, uint64_t>> expected_versions;
  // The members the batch erases: their keys are destroyed before it is
  // appended, as EraseMember does.
  std::vector<std::string> erased_member_ids;
};

// Checks `events` and applies them to `scratch`. A refusal names the event's
// index in the batch: "event 3: points: member \"M1\" requested 500 points
// but has 120 available". Codes: InvalidArgument for an event the engine
// would never make (a field out of range, a key or a point count other than
// the decision's, a date ahead of the clock); FailedPrecondition for one the
// state does not allow (an unknown member, an overdraft, a complaint step
// out of order, an id recorded already). Other codes: reading failed.
absl::StatusOr<CheckedRawBatch> CheckRawBatch(absl::Span<const v1::Envelope> events,
                                              const RawBatchContext& context,
                                              ProjectionSet* scratch);

}  // namespace loyalty::internal

#endif  // LOYALTY_ENGINE_RAW_BATCH_CHECK_H_
