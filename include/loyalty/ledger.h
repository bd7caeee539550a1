// loyalty::Ledger — the append-only, hash-chained event log.
//
// The ledger knows envelopes, sequence numbers, streams, idempotency keys and
// hashes. It does not know what a point or a tier is: that is the job of the
// projections built on top of it.
//
// Guarantees:
// - Sequence numbers start at 1 and are gap-free and strictly increasing.
// - A batch is appended atomically: all of its events or none.
// - Every event is chained: hash(n) = SHA-256(hash(n-1) || canonical_bytes(n)),
//   with hash(0) = 32 zero bytes. canonical_bytes(n) are the stored bytes of
//   the event: the deterministic protobuf serialization of its Envelope
//   (docs/ledger.md explains how the ledger builds them).
// - Nothing is ever rewritten. Corrections are new events.
//
// Thread safety: every method may be called from any number of threads at
// once. Concurrent appends are grouped into one write (group commit), so with
// `sync` on, many single-event appenders share one fsync. Reads see the log
// up to Head() and never an event past it.
#ifndef LOYALTY_LEDGER_H_
#define LOYALTY_LEDGER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "loyalty/clock.h"
#include "loyalty/limits.h"
#include "loyalty/metrics.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty {

// A SHA-256 digest.
using Hash = std::array<uint8_t, 32>;

// Lower-case hexadecimal form of a hash, 64 characters.
std::string HashHex(const Hash& hash);

struct LedgerOptions {
  // Create an empty ledger when `directory` does not exist or is empty.
  // Never over anything else (see Ledger::Open). Default: true.
  bool create_if_missing = true;

  // Open for reading only (default: false). Nothing in the directory is
  // written, created or deleted (no lock file, no log files), so any number
  // of readers may open a ledger while one process appends to it. A
  // read-only ledger sees the log as it was when it was opened; Append
  // fails with FailedPrecondition.
  bool read_only = false;

  // Durability of an acknowledged append.
  //  true (default): the write-ahead log is fsynced before Append returns, so
  //    an acknowledged event survives kill -9, an OS crash and power loss.
  //  false: the event is in the operating system's page cache when Append
  //    returns: it survives kill -9 of the process, but the most recent
  //    appends can be lost if the machine loses power or the OS crashes.
  //    (What each costs: docs/embedding.md, "Durability".)
  // With `sync` on, the next group of concurrent appends is written while
  // the previous group's sync runs; none is acknowledged before its sync.
  bool sync = true;

  // Source of recorded-at (ledger) time. Not owned; must outlive the ledger.
  // Default: the system clock.
  const Clock* clock = nullptr;

  // RocksDB block cache shared by every column family, in bytes. Default:
  // 64 MiB.
  size_t block_cache_bytes = 64 << 20;
};

// The events to append in one atomic step, with the stream versions they
// require.
class AppendBatch {
 public:
  // Adds an event. The caller fills stream_id, idempotency_key,
  // occurred_at_us, actor_id and event; schema_version may be left 0 (it
  // becomes the current version). The ledger assigns sequence,
  // stream_version, recorded_at_us and previous_hash, which must be unset.
  AppendBatch& Add(v1::Envelope envelope);

  // The batch is appended only if `stream_id` has exactly `version` events
  // when it is applied (0: the stream must not exist yet). Otherwise Append
  // fails with Aborted (a failed test-and-set: read the stream again, decide
  // again, retry) and writes nothing. A second expectation
  // for the same stream replaces the first.
  AppendBatch& ExpectVersion(absl::string_view stream_id, uint64_t version);

  const std::vector<v1::Envelope>& events() const { return events_; }
  const std::vector<std::pair<std::string, uint64_t>>& expected_versions() const {
    return expected_versions_;
  }
  size_t size() const { return events_.size(); }
  bool empty() const { return events_.empty(); }

 private:
  std::vector<v1::Envelope> events_;
  std::vector<std::pair<std::string, uint64_t>> expected_versions_;
};

struct AppendResult {
  // The sequence assigned to each event, in batch order.
  std::vector<uint64_t> sequences;
  // True when the batch was a retry of one already appended: `sequences` are
  // the original positions and nothing was written.
  bool deduplicated = false;
};

// The newest event of the chain. sequence 0 and a zero hash when empty.
struct ChainHead {
  uint64_t sequence = 0;
  Hash hash{};
  int64_t recorded_at_us = 0;
};

// An event as stored. The view is valid only during the callback it is
// passed to.
struct RawEvent {
  uint64_t sequence = 0;
  absl::string_view canonical_bytes;
  Hash hash{};
};

// Delivers events in sequence order to a pull-based consumer.
// Not thread-safe: one consumer per cursor.
class Cursor {
 public:
  virtual ~Cursor() = default;
  // Returns up to `max_events` events that follow the last one returned (or
  // the cursor's start position), waiting up to `wait` for at least one to
  // be appended. An empty vector means none arrived in time.
  virtual absl::StatusOr<std::vector<v1::Envelope>> Next(size_t max_events,
                                                         absl::Duration wait) = 0;
  // The sequence of the last event returned (the start position before any).
  virtual uint64_t position() const = 0;
};

// A running subscription; destroying it stops delivery (and waits for a
// callback in progress to return).
class Subscription {
 public:
  virtual ~Subscription() = default;
  // The sequence of the last event delivered.
  virtual uint64_t position() const = 0;
  // OK while running; the error that stopped delivery otherwise.
  virtual absl::Status status() const = 0;
};

class Ledger {
 public:
  // Opens the ledger stored in `directory`, creating it if allowed. It looks
  // at the directory first and creates a ledger only in a directory that
  // does not exist or is empty, all at once (in a temporary directory beside
  // it, renamed into place), so a crash never leaves half a ledger. Never
  // over existing files: a directory holding the ledger's files without the
  // RocksDB CURRENT file that leads to them is damaged, and is reported,
  // not replaced.
  // Errors, with nothing changed:
  //  InvalidArgument: no ledger in `directory` (missing, empty, a file, or
  //    other files) and create_if_missing is false or read_only is true.
  //  FailedPrecondition: `directory` holds other files and no ledger (when
  //    creating); another process has the ledger open (not for read_only);
  //    a creation was interrupted and read_only (a writing open finishes
  //    it); a format this build does not read.
  //  DataLoss: the directory is damaged (the ledger's files without their
  //    CURRENT, a file failing its checksum, the head missing beside
  //    events); the message names what was found and how to recover.
  //  PermissionDenied: the directory cannot be written by this user.
  //  Internal/Unavailable for other storage errors, with RocksDB's message.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(const std::string& directory,
                                                      const LedgerOptions& options);

  // Opens the ledger in the PostgreSQL database that `uri` names (a libpq
  // connection URI or string, multi-host with target_session_attrs=
  // read-write for a replicated one: docs/replication.md), in the first
  // schema of its search_path, creating it there if allowed: the same log,
  // bytes and chain as Open's (docs/ledger.md, "The PostgreSQL backend").
  // options.sync and options.block_cache_bytes do not apply: an append is
  // acknowledged when PostgreSQL has committed it.
  // Errors, with nothing changed: InvalidArgument, no ledger in the schema
  // and creation not allowed; FailedPrecondition, a schema holding other
  // tables, or another format; DataLoss, a ledger missing its head;
  // Unavailable, the server cannot be reached; Unimplemented, a library
  // built without PostgreSQL (LOYALTY_POSTGRES off).
  static absl::StatusOr<std::unique_ptr<Ledger>> OpenPostgres(const std::string& uri,
                                                              const LedgerOptions& options);

  virtual ~Ledger() = default;

  // Appends `batch` atomically.
  // Errors, with nothing written:
  //  InvalidArgument: an empty or oversized batch; a missing or over-long
  //    stream id, idempotency key or actor id; a missing occurred-at time; no
  //    or an unknown event type; a negative amount or point count; a field the
  //    ledger assigns that is already set; two events with one idempotency
  //    key; personal data in the clear (a member_enrolled or
  //    member_profile_updated with `personal.plain`: only sealed personal
  //    data is stored, docs/privacy.md; the engine seals it). The message
  //    names the event's index, the field and the value.
  //  Aborted: a stream is not at its expected version (another writer moved
  //    it: decide again against the new state and retry); the message names
  //    the stream, the expected and the actual version.
  //  FailedPrecondition: the ledger is open read-only.
  //  AlreadyExists: an idempotency key was used before for different content
  //    (or only part of the batch was appended before).
  //  Internal/Unavailable: the storage failed writing or syncing. The ledger
  //    stays consistent and readable, but every later Append fails the same
  //    way until it is reopened. Whether the batch was appended is unknown
  //    until then: after reopening, retry it with the same idempotency keys.
  // A batch whose every event repeats an earlier append (same keys, same
  // content) returns the original sequences with `deduplicated` set.
  // `batch` is read in place, not copied; it must not change during the call.
  virtual absl::StatusOr<AppendResult> Append(const AppendBatch& batch) = 0;

  // The newest event of the chain: the last one appended (and, with `sync`
  // on, synced). Reads never go past it.
  virtual ChainHead Head() const = 0;

  // Calls `visit` for every event with from <= sequence <= to (clamped to
  // the head), in order. Stops at the first non-OK status `visit` returns
  // and returns it.
  virtual absl::Status ScanRaw(uint64_t from, uint64_t to,
                               absl::FunctionRef<absl::Status(const RawEvent&)> visit) const = 0;

  // As ScanRaw, with each event decoded. DataLoss if an event fails to decode.
  virtual absl::Status Scan(uint64_t from, uint64_t to,
                            absl::FunctionRef<absl::Status(const v1::Envelope&)> visit) const = 0;

  // Up to `max_events` events from sequence `from` on.
  virtual absl::StatusOr<std::vector<v1::Envelope>> Read(uint64_t from,
                                                         size_t max_events) const = 0;

  // The events of one stream with stream_version >= from_version, in order
  // (up to the head).
  virtual absl::Status ScanStream(
      absl::string_view stream_id, uint64_t from_version,
      absl::FunctionRef<absl::Status(const v1::Envelope&)> visit) const = 0;

  // The number of events in a stream (its current version) up to the head;
  // 0 if none.
  virtual absl::StatusOr<uint64_t> StreamVersion(absl::string_view stream_id) const = 0;

  // The chain hash of the event at `sequence` (the zero hash for 0).
  // NotFound past the head.
  virtual absl::StatusOr<Hash> HashAt(uint64_t sequence) const = 0;

  // The sequence of the last event recorded at or before `recorded_at_us`
  // (ledger time); 0 if none was.
  virtual absl::StatusOr<uint64_t> SequenceAtTime(int64_t recorded_at_us) const = 0;

  // Recomputes the chain over from..to (clamped to the head; from >= 1) and
  // checks every event: present, in its place, decodable, linked to its
  // predecessor and with the stored hash. Returns DataLoss naming the first
  // sequence that does not match and why; OK otherwise. Ranges of 16,384 events
  // or more are read on the calling thread and checked on one more,
  // started and joined within the call.
  virtual absl::Status Verify(uint64_t from, uint64_t to) const = 0;

  // A pull cursor positioned after `after_sequence` (0: from the start).
  virtual std::unique_ptr<Cursor> NewCursor(uint64_t after_sequence) const = 0;

  // Delivers every event after `after_sequence`, then each new append, in
  // order and without gaps, to `on_event` on a thread of its own. A non-OK
  // status from `on_event` stops the subscription with that status.
  virtual std::unique_ptr<Subscription> Subscribe(
      uint64_t after_sequence, std::function<absl::Status(const v1::Envelope&)> on_event) = 0;

  // What this ledger has done since it was opened (appends, events, errors,
  // group commits, syncs, latencies) and its storage figures
  // (loyalty/metrics.h). Never blocks appends; the storage figures read the
  // directory, so call it per scrape, not per request.
  virtual LedgerMetrics Metrics() const = 0;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_H_
