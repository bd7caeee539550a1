#include "bench/peer/pg.h"

#include "absl/strings/str_cat.h"

namespace loyalty::peer {

absl::StatusOr<std::unique_ptr<PgSession>> PgSession::Connect(const std::string& conninfo) {
  PGconn* connection = PQconnectdb(conninfo.c_str());
  if (PQstatus(connection) != CONNECTION_OK) {
    const std::string message = PQerrorMessage(connection);
    PQfinish(connection);
    return absl::UnavailableError(absl::StrCat("connecting to \"", conninfo, "\": ", message));
  }
  // Notices ("... does not exist, skipping") are not results.
  PQsetNoticeProcessor(connection, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgSession>(new PgSession(connection));
}

PgSession::~PgSession() { PQfinish(connection_); }

absl::Status PgSession::Check(const Result& result, ExecStatusType expected,
                              absl::string_view what) {
  if (PQresultStatus(result.get()) == expected) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat(what.substr(0, 200), ": ", PQresultErrorMessage(result.get())));
}

absl::Status PgSession::Exec(const std::string& sql) {
  Result result(PQexec(connection_, sql.c_str()));
  return Check(result, PGRES_COMMAND_OK, sql);
}

absl::StatusOr<Result> PgSession::Query(const std::string& sql) {
  Result result(PQexec(connection_, sql.c_str()));
  absl::Status status = Check(result, PGRES_TUPLES_OK, sql);
  if (!status.ok()) return status;
  return result;
}

absl::Status PgSession::Prepare(const std::string& name, const std::string& sql, int parameters) {
  Result result(PQprepare(connection_, name.c_str(), sql.c_str(), parameters, nullptr));
  return Check(result, PGRES_COMMAND_OK, sql);
}

absl::StatusOr<Result> PgSession::QueryPrepared(const std::string& name,
                                                const std::vector<const char*>& values) {
  Result result(PQexecPrepared(connection_, name.c_str(), static_cast<int>(values.size()),
                               values.data(), nullptr, nullptr, 0));
  absl::Status status = Check(result, PGRES_TUPLES_OK, name);
  if (!status.ok()) return status;
  return result;
}

absl::Status PgSession::CopyIn(const std::string& copy_sql, absl::string_view data) {
  Result started(PQexec(connection_, copy_sql.c_str()));
  absl::Status status = Check(started, PGRES_COPY_IN, copy_sql);
  if (!status.ok()) return status;
  if (PQputCopyData(connection_, data.data(), static_cast<int>(data.size())) != 1 ||
      PQputCopyEnd(connection_, nullptr) != 1) {
    return absl::InternalError(absl::StrCat(copy_sql, ": ", PQerrorMessage(connection_)));
  }
  Result finished(PQgetResult(connection_));
  status = Check(finished, PGRES_COMMAND_OK, copy_sql);
  // Drain what remains so that the connection is ready for the next command.
  while (PGresult* extra = PQgetResult(connection_)) PQclear(extra);
  return status;
}

std::string PgSession::Literal(absl::string_view text) {
  char* escaped = PQescapeLiteral(connection_, text.data(), text.size());
  std::string literal = escaped == nullptr ? "NULL" : escaped;
  PQfreemem(escaped);
  return literal;
}

void AppendCopyText(absl::string_view text, std::string* out) {
  for (char c : text) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '\t': out->append("\\t"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      default: out->push_back(c);
    }
  }
}

void AppendCopyBytea(absl::string_view bytes, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->append("\\\\x");
  for (unsigned char c : bytes) {
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 15]);
  }
}

}  // namespace loyalty::peer
