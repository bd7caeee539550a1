// One libpq connection, with PostgreSQL's errors as absl::Status: what the
// PostgreSQL ledger (ledger/postgres/) and the PostgreSQL peer benchmark
// (bench/peer/) talk to the server through.
//
// Values the ledger stores (bytea, bigint) go both ways in libpq's binary
// format: no escaping, no text parsing. Text results remain for the
// statements whose output is text anyway (SHOW, counts in the benchmark).
//
// Not thread-safe: one thread uses a session at a time.
#ifndef LOYALTY_UTIL_PG_SESSION_H_
#define LOYALTY_UTIL_PG_SESSION_H_

#include <libpq-fe.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace loyalty::util {

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

// The status of an error PostgreSQL reported for `what`, by its SQLSTATE
// (https://www.postgresql.org/docs/15/errcodes-appendix.html), chosen so
// that a caller can act on the code alone:
//   Unavailable: the connection is lost or the server cannot serve now
//     (class 08; 57P01-57P03 shutdowns and start-up; 25006, a read-only
//     server: a standby, or a primary being demoted). Whether a statement
//     sent before the loss committed is unknown: reconnect and look.
//   Aborted: the transaction lost to another (40001 serialization failure,
//     40P01 deadlock, 55P03 lock not available): nothing was written, retry.
//   AlreadyExists: 23505 unique violation.
//   FailedPrecondition: another integrity constraint (class 23).
//   InvalidArgument: a value PostgreSQL refuses (class 22).
//   NotFound: 3D000 no such database, 42P01 no such table.
//   Unauthenticated / PermissionDenied: class 28 / 42501.
//   ResourceExhausted: classes 53 (insufficient resources), 54 (limits).
//   Cancelled: 57014 statement cancelled (a timeout).
//   DataLoss: XX001 / XX002, a damaged table or index.
//   Internal: anything else (a statement the server does not understand is
//     a bug here).
// The message is "<what>: SQLSTATE <code>: <PostgreSQL's message>".
absl::Status PgErrorStatus(absl::string_view sqlstate, absl::string_view what,
                           absl::string_view server_message);

// Parameters of one statement, all in binary format. The statement casts
// each parameter to the type it was added as ($1::bigint, $2::bytea[]), or
// the server infers it. Owns copies of the values.
class PgParams {
 public:
  PgParams& Int64(int64_t value);                        // bigint
  PgParams& Bytes(absl::string_view value);              // bytea
  PgParams& Text(absl::string_view value);               // text
  PgParams& Int64Array(absl::Span<const int64_t> values);            // bigint[]
  PgParams& BytesArray(absl::Span<const absl::string_view> values);  // bytea[]

  int size() const { return static_cast<int>(values_.size()); }
  const Oid* types() const { return types_.data(); }
  const char* const* values() const { return pointers_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  PgParams& Add(Oid type, std::string value);
  std::deque<std::string> values_;  // stable addresses as more are added
  std::vector<Oid> types_;
  std::vector<const char*> pointers_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// Reading a binary result (PgSession::Run). Cells are addressed by row and
// column; a NULL or a cell of the wrong size reads as false.
bool PgInt64At(const PGresult* result, int row, int column, int64_t* value);
// The bytes of a bytea (or text) cell; valid while the result lives.
absl::string_view PgBytesAt(const PGresult* result, int row, int column);
bool PgIsNull(const PGresult* result, int row, int column);

class PgSession {
 public:
  // Connects with a libpq connection string or URI ("host=/tmp/x dbname=y",
  // "postgresql://host/db"). Unavailable if the server cannot be reached;
  // Unauthenticated, NotFound (no such database), ... as PgErrorStatus.
  static absl::StatusOr<std::unique_ptr<PgSession>> Connect(const std::string& conninfo);
  ~PgSession();
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  // Runs SQL that returns no rows (several statements allowed).
  absl::Status Exec(const std::string& sql);
  // Runs SQL that returns rows, in text format.
  absl::StatusOr<PgResult> Query(const std::string& sql);
  // Runs one statement with binary parameters; its rows (if any) come in
  // binary format. The result's command status says how many rows an
  // INSERT or UPDATE touched (PgRowsAffected).
  absl::StatusOr<PgResult> Run(const std::string& sql, const PgParams& params);
  // Prepares `sql` once under `name` (types inferred, or cast in the SQL)
  // and runs it as Run does.
  absl::Status Prepare(const std::string& name, const std::string& sql);
  absl::StatusOr<PgResult> RunPrepared(const std::string& name, const PgParams& params);
  // COPY table (columns) FROM STDIN with `data` in COPY's text format.
  absl::Status CopyIn(const std::string& copy_sql, absl::string_view data);
  // A SQL literal for `text` ('...' with quotes doubled).
  std::string Literal(absl::string_view text);

  // False once the connection is lost: every later call fails with
  // Unavailable until Reconnect succeeds.
  bool connected() const;
  // Reconnects with the same connection string (prepared statements are
  // gone: prepare them again).
  absl::Status Reconnect();

  // The first warning the server sent since the last call ("" if none),
  // message and detail, and forgets it. A commit whose wait for a
  // synchronous standby was cancelled succeeds with such a warning: it is
  // committed on the primary only.
  std::string TakeWarning();

 private:
  explicit PgSession(PGconn* connection) : connection_(connection) {}
  static void ReceiveNotice(void* session, const PGresult* notice);
  // OK when `result` has status `expected`; else the error, mapped.
  absl::Status Check(const PgResult& result, ExecStatusType expected, absl::string_view what);
  PGconn* connection_;
  std::string warning_;
};

// The number of rows an INSERT, UPDATE or DELETE touched.
int64_t PgRowsAffected(const PGresult* result);

// Escapes `text` for one field of COPY's text format.
void AppendCopyText(absl::string_view text, std::string* out);
// Appends bytes as a bytea field of COPY's text format (\\x followed by hex).
void AppendCopyBytea(absl::string_view bytes, std::string* out);

}  // namespace loyalty::util

#endif  // LOYALTY_UTIL_PG_SESSION_H_
