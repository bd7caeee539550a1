// loyalty::projections::Projection — the shape every projection has.
//
// A projection is a pure state machine over the log: events in, state out. It
// does no I/O and reads no clock; business time comes from the events
// (occurred_at_us) and from AdvanceTo. Two projections of the same kind fed
// the same calls are in the same state, byte for byte, on any machine.
//
// Time. Business time is per member, so that a member's state depends only
// on the member's own events, the policy events and explicit AdvanceTo
// calls, never on another member's events:
// - Every member has its own "now", which never goes backwards: the latest
//   occurred_at_us of the events of the member's own stream
//   ("member-<member_id>"; the kinds are listed in member_time.h) and of the
//   instants AdvanceTo moved it to. Enrolment starts it at the enrolment's
//   occurred-at.
// - Applying an event of member M's own stream first moves M's now to
//   T = max(M's now, occurred_at_us), performing M's time-driven effects due
//   before T (lot expiry, end of tier protection), then applies the event at
//   T. It moves no other member. An event that occurred earlier than M's now
//   is applied at M's now for time-driven purposes; the facts it carries
//   (such as a purchase's own occurred-at) are kept as they are.
// - Events of other kinds (PolicySet, complaints, surveys, ...) move no
//   member's now and perform no time-driven effect; a PolicySet changes the
//   policy in force for what is applied after it in log order.
// - AdvanceTo(T) moves every member known at the call to max(its now, T),
//   performing the effects due before T. Queries use it; the live engine
//   never calls it between events.
// Consequently replaying member M's stream merged with the policy stream (in
// log order, up to any sequence, then the same AdvanceTo calls) gives M
// exactly the state a full replay gives M, backdated events included.
//
// A time-driven effect scheduled at instant X (a lot expiring at X, a
// protection ending at X) takes place once the member's now is strictly
// after X: an event occurring exactly at X still sees the lot, or the
// protected tier.
//
// The projection also keeps one projection-wide now, the latest instant any
// applied event or AdvanceTo reached; it is reported in the state's header
// and no member's state depends on it.
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
#include "absl/functional/function_ref.h"
#include "projections/anomaly.h"
#include "projections/replay.h"

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
  //
  // Total for every envelope that decodes: an event that breaks a rule of
  // the domain (an unknown member, a redemption past the balance, a
  // duplicate id, a missing id, an amount out of range, a complaint step out
  // of order, an invalid policy, an event off its home stream, ...) is
  // applied as far as the rule allows, the same way on every replay, and
  // recorded in anomalies() (anomaly.h; each projection's header says what
  // it applies of such an event). The deciders never produce one; the log
  // may hold one all the same, and stopping on it would stop the engine for
  // good, since the log is never rewritten.
  //
  // The only error: FailedPrecondition, naming the sequence, when the
  // sequence is not after the last one applied (an invariant of the caller,
  // not a property of the event); the state is then left as it was.
  virtual absl::Status Apply(const v1::Envelope& envelope) = 0;

  // The events this projection applied only as far as a rule allowed, in
  // log order. Part of the canonical state.
  virtual const AnomalyLog& anomalies() const = 0;

  // What a Prefetch hint brings into the cache.
  enum class PrefetchStep {
    // The projection's entries for the event: its slots in hash tables.
    kEntries,
    // What those entries point to (a member's lots, its purchases). Pays
    // only once the entries are in the cache: a few events after kEntries.
    kBehindEntries,
  };

  // A hint that `envelope` is applied soon: starts bringing into the cache
  // what Apply will look up for it, and changes nothing. A replay with
  // events decoded ahead calls it with kEntries some events before their
  // Apply and with kBehindEntries a few events later, so that the look-ups
  // of several events wait for memory together.
  virtual void Prefetch(const v1::Envelope& envelope, PrefetchStep step) const {
    (void)envelope;
    (void)step;
  }

  // Moves every member's now (and the projection-wide now) forward to
  // `instant_us`, performing every time-driven effect scheduled strictly
  // before it. A member already at or past `instant_us` is left as it is.
  // Costs time in proportion to the number of members.
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

  // SHA-256 of CanonicalState(). A projection whose state grows with its
  // members hashes its canonical bytes as it writes them, member by member,
  // instead of holding them all.
  virtual Hash Digest() const;
};

// The digest of a canonical state: its SHA-256, what Projection::Digest()
// gives for the projection the state was taken from.
Hash DigestOf(absl::string_view canonical_state);
// The same of a state written through a CanonicalSink (replay.h), hashed as
// it comes.
Hash DigestCanonical(absl::FunctionRef<void(CanonicalSink)> write);

}  // namespace projections
}  // namespace loyalty

#endif  // LOYALTY_PROJECTIONS_PROJECTION_H_
