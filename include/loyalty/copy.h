// Copying a ledger to another place, on the same backend or the other: a
// ledger directory into PostgreSQL and back, with the same chain head.
//
// The copy holds the same events with the same canonical bytes: each is
// appended at its place and at its recorded-at time, in the groups the
// source recorded together, so every chain hash, and with it `verify`,
// signed checkpoints, proofs and audit bundles, is the same on both. The
// members' data keys are copied as they are stored, wrapped by the master
// key: the copy opens with the master key of the source, which the copy
// never needs and never sees.
//
// What is not copied: the projections' checkpoint (derived: the engine
// replays the log into it on the first open of the copy) and the audit
// store (its signed checkpoints verify against the copy as they are).
#ifndef LOYALTY_COPY_H_
#define LOYALTY_COPY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "loyalty/ledger.h"

namespace loyalty {

struct CopyReport {
  // The copy's head, equal to the source's as it was when it was opened.
  ChainHead head;
  // The events the destination held before the call (a copy resumed or
  // brought up to date) and those this call appended.
  uint64_t events_present = 0;
  uint64_t events_copied = 0;
  // Member keys written, and destroyed because the source no longer has
  // them (members erased in the source since an earlier copy).
  uint64_t member_keys_copied = 0;
  uint64_t member_keys_destroyed = 0;
};

// Copies the ledger at `from` to `to`. Each is a ledger directory (as
// Engine::Open takes) or a PostgreSQL URI (postgresql://... or
// postgres://..., as EngineOptions::postgres_uri takes).
//
// The source is opened read-only: nothing there is written, and an engine
// may keep appending to it; the copy holds the log as it was when the copy
// opened it, and a second call brings the copy up to date. Its whole chain
// is verified first.
//
// The destination is a missing or empty directory, or a PostgreSQL schema
// without a ledger, and is created; or an earlier copy of the same source
// (its log a prefix of the source's: the same hash at its head), which is
// continued. A copy interrupted at any moment (kill -9 included) is thus
// finished by calling CopyLedger again. In order: the keys the destination
// lacks are written, the events appended (each batch's chain hash checked
// against the source's), the keys of members the source no longer holds
// destroyed, and the destination's whole chain verified. No engine may write
// to the destination meanwhile.
//
// Errors, with nothing changed in the destination unless stated:
//  InvalidArgument: `from` and `to` are the same, or `to` is a directory
//    inside `from`'s; either is empty, or a libpq key=value string (which
//    would name a directory: give a URI).
//  FailedPrecondition: the destination holds another log (the message names
//    the first sequence where they differ) or other files; its member keys
//    are wrapped under another master key; the source has erasures in
//    progress (open it for writing once, and the engine finishes them).
//  DataLoss: the source's chain does not verify, its member keys are
//    missing or damaged, or the copy's chain differs from the source's
//    (what was appended before the difference stays: it is the source's).
//  Others as Ledger::Open, Ledger::OpenPostgres and Ledger::Append return
//    them; what was appended before stays, and a second call continues.
absl::StatusOr<CopyReport> CopyLedger(const std::string& from, const std::string& to);

}  // namespace loyalty

#endif  // LOYALTY_COPY_H_
