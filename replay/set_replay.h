// Replaying a range of the log into a ProjectionSet, on one thread or two.
#ifndef LOYALTY_REPLAY_SET_REPLAY_H_
#define LOYALTY_REPLAY_SET_REPLAY_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "replay/projection_set.h"
#include "loyalty/ledger.h"

namespace loyalty::internal {

// Applies the events from..to of `ledger` (clamped to its head) to `set`, in
// log order: the state it leaves is the one set->Apply gives, event by
// event.
//
// With `threads` == 2, the calling thread reads and decodes the events in
// batches and applies ProjectionSet::ApplyProgramHalf to them, while a
// second thread applies ApplyMemberHalf to the batches already decoded. On
// two cores a rebuild then takes the time of the longer half instead of
// the sum. The projections then see each event as DecodeForProjections
// gives it (engine/replay_decode.h), without the two fields of the ledger's
// own that no projection reads. With 1, everything happens on the calling
// thread.
//
// Errors: the first event, in log order, that fails to decode (DataLoss
// "sequence N: does not decode") or to apply; when both halves fail at one
// event, the member half's error, as Apply would. The set is then partly
// applied and must be discarded. CheckReplayThreads' error if `threads` is
// neither 1 nor 2.
absl::Status ReplayLog(const Ledger& ledger, uint64_t from, uint64_t to, int threads,
                       ProjectionSet* set);

// Applies to `set`, in log order, the events of the whole log (up to its
// head) whose business time (occurred_at_us) is at or before `instant_us`,
// then advances it to `instant_us`: the state of AsOf::BusinessTime
// (views.h). An event that occurred by then but was decided on a state that
// included one that occurred later is applied as far as the rule it then
// breaks allows, and recorded as an anomaly, as in any replay. Returns the
// number of events applied. Errors: reading the log; the set must then be
// discarded.
absl::StatusOr<uint64_t> ReplayLogAsOfBusinessTime(const Ledger& ledger, int64_t instant_us,
                                                   ProjectionSet* set);

// InvalidArgument "replay_threads: N is not 1 or 2" unless `threads` is 1 or
// 2 (EngineOptions::replay_threads).
absl::Status CheckReplayThreads(int threads);

}  // namespace loyalty::internal

#endif  // LOYALTY_REPLAY_SET_REPLAY_H_
