// loyalty::projections::Projection — the shape every projection has.
//
// A projection is a pure state machine over the log: events in, state out. It
// does no I/O and reads no clock; business time comes from the events
// (occurred_at_us) and from AdvanceTo. Two projections of the same kind fed
// the same calls are in the same state, byte for byte, on any machine.
//
// Time. A projection has a "now" that never goes backwards. Apply first
// advances now to the event's occurred_at_us (performing every time-driven
// effect due before it: lot expiry, end of tier protection), then applies the
// event. An event that occurred earlier than now is applied at now for
// time-driven purposes; the facts it carries (such as a purchase's own
// occurred-at) are kept as they are.
//
// A time-driven effect scheduled at instant X (a lot expiring at X, a
// protection ending at X) takes place once now is strictly after X: an event
// occurring exactly at X still sees the lot, or the protected tier.
//
// Not thread-safe: one writer at a time, and no reads during a write.
#ifndef LOYALTY_PROJECTIONS_PROJECTION_H_
#define LOYALTY_PROJECTIONS_PROJECTION_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty {

// A SHA-256 digest; the same type as loyalty::Hash in loyalty/ledger.h.
using Hash = std::array<uint8_t, 32>;

namespace projections {

class Projection {
 public:
  virtual ~Projection() = default;

  // A short stable name, e.g. "balances"; also recorded in CanonicalState.
  virtual absl::string_view name() const = 0;

  // Applies one event. Events must come in log (sequence) order; a non-zero
  // sequence must be greater than the last one applied (0, not yet assigned,
  // is accepted so deciders' output can be previewed). Event types the
  // projection does not use are ignored (only the sequence is recorded).
  // Errors, naming the sequence and leaving the state as it was apart from
  // time-driven effects up to the event's time:
  //  FailedPrecondition: the sequence is out of order, or the event
  //    contradicts the state (an unknown member, an overdraft, a duplicate).
  //  DataLoss: the event is malformed (a missing id, a non-positive amount).
  // The deciders never produce such events.
  virtual absl::Status Apply(const v1::Envelope& envelope) = 0;

  // Moves now forward to `instant_us`, performing every time-driven effect
  // scheduled strictly before it. An instant before now does nothing.
  virtual void AdvanceTo(int64_t instant_us) = 0;

  // The whole state as deterministic bytes (see projection_state.proto):
  // equal states give equal bytes.
  virtual std::string CanonicalState() const = 0;

  // Replaces the whole state with one CanonicalState() returned, so that
  // further calls behave exactly as on the projection it was taken from.
  // Errors, leaving the state as it was:
  //  InvalidArgument: the bytes are another projection's state or format.
  //  DataLoss: the bytes do not decode or break an invariant of the state.
  virtual absl::Status Restore(absl::string_view canonical_state) = 0;

  // SHA-256 of CanonicalState().
  Hash Digest() const;
};

}  // namespace projections
}  // namespace loyalty

#endif  // LOYALTY_PROJECTIONS_PROJECTION_H_
