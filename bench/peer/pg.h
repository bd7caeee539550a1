// A thin libpq session for the peer benchmark: errors as absl::Status.
#ifndef LOYALTY_BENCH_PEER_PG_H_
#define LOYALTY_BENCH_PEER_PG_H_

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::peer {

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

class PgSession {
 public:
  // Connects with a libpq connection string ("host=/tmp/x dbname=y").
  static absl::StatusOr<std::unique_ptr<PgSession>> Connect(const std::string& conninfo);
  ~PgSession();

  // Runs SQL that returns no rows (several statements allowed).
  absl::Status Exec(const std::string& sql);
  // Runs SQL that returns rows.
  absl::StatusOr<Result> Query(const std::string& sql);
  // Runs a prepared statement with text parameters.
  absl::Status Prepare(const std::string& name, const std::string& sql, int parameters);
  absl::StatusOr<Result> QueryPrepared(const std::string& name,
                                       const std::vector<const char*>& values);
  // COPY table (columns) FROM STDIN with `data` in COPY's text format.
  absl::Status CopyIn(const std::string& copy_sql, absl::string_view data);
  // A SQL literal for `text` ('...' with quotes doubled).
  std::string Literal(absl::string_view text);

 private:
  explicit PgSession(PGconn* connection) : connection_(connection) {}
  absl::Status Check(const Result& result, ExecStatusType expected, absl::string_view what);
  PGconn* connection_;
};

// Escapes `text` for one field of COPY's text format.
void AppendCopyText(absl::string_view text, std::string* out);
// Appends bytes as a bytea field of COPY's text format (\\x followed by hex).
void AppendCopyBytea(absl::string_view bytes, std::string* out);

}  // namespace loyalty::peer

#endif  // LOYALTY_BENCH_PEER_PG_H_
