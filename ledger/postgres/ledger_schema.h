// The PostgreSQL ledger's tables, in the first schema of the connection's
// search_path (by default `public`):
//
//   events  one row per event: sequence (primary key, 1, 2, 3, ... without
//           gaps), stream_id and stream_version (unique together),
//           idempotency_key (unique), content_digest (SHA-256 of the
//           caller's fields), recorded_at_us, canonical_bytes (the same
//           bytes as the RocksDB ledger's) and hash (the chain hash).
//           Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE.
//   head    one row: the chain head (sequence, hash, recorded_at_us), moved
//           in the same statement as the events it covers, and only from
//           the head the writer read (fencing, docs/ledger.md).
//   meta    one row: the format, kPostgresFormatName.
//
// Keys and stream ids are bytea: the bytes of the envelope whatever the
// database's encoding.
#ifndef LOYALTY_LEDGER_POSTGRES_LEDGER_SCHEMA_H_
#define LOYALTY_LEDGER_POSTGRES_LEDGER_SCHEMA_H_

#include <string>

#include "absl/status/statusor.h"
#include "loyalty/ledger.h"
#include "util/pg_session.h"

namespace loyalty::internal {

inline constexpr char kPostgresFormatName[] = "loyalty-ledger-postgres/1";

// Finds the ledger in the session's schema, or creates it there when the
// schema holds nothing and `options` allow (create_if_missing, not
// read_only): the tables, the format and the empty chain's head in one
// transaction, so a failure leaves the schema as it was. Concurrent
// creators are serialised by an advisory lock: one creates, the others find
// its ledger. Returns the stored head. Errors, with nothing changed:
//  InvalidArgument: no ledger and creation not allowed (an empty schema, or
//    one holding other relations).
//  FailedPrecondition: the schema holds other relations and no ledger (when
//    creating); no schema on the search_path; another format.
//  DataLoss: a ledger missing its head, or a head row that is not one.
//  Unavailable, ...: as util::PgErrorStatus.
absl::StatusOr<ChainHead> OpenLedgerSchema(util::PgSession& session, const LedgerOptions& options);

// The stored head (DataLoss unless exactly one well-formed row).
absl::StatusOr<ChainHead> ReadStoredHead(util::PgSession& session);

// Returns once a synchronous standby holds everything `session` has read
// (on a server without synchronous standbys: at once, after a local
// commit). A primary shows a commit to other sessions before a standby has
// it when the committer's wait was cancelled, and an old primary restarted
// after a failover serves commits that the new primary never had until it
// is demoted: a writer that took such a head, or answered a retry from such
// rows, would act on events a failover loses. The barrier is a write
// (meta's row updated to itself), committed as synchronously as an
// append: its commit record follows every commit the session could see,
// so once a standby confirms it, it holds those too. Unavailable when the
// commit fails or returns with a warning (its wait was cancelled); a
// session open read-only cannot run it.
absl::Status AwaitSynchronousStandbys(util::PgSession& session);

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_POSTGRES_LEDGER_SCHEMA_H_
