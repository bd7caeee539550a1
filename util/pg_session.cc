#include "util/pg_session.h"

#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "util/big_endian.h"
#include "util/conninfo.h"

namespace loyalty::util {
namespace {

// Type OIDs of PostgreSQL's catalogue (pg_type.dat), fixed since 8.x.
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kByteaArrayOid = 1001;
constexpr Oid kInt8ArrayOid = 1016;

void PutBigEndian32(std::string* out, uint32_t value) {
  const char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                         static_cast<char>(value >> 8), static_cast<char>(value)};
  out->append(bytes, 4);
}

// The binary format of a one-dimensional array without NULLs (array_send):
// dimensions, has-nulls flag, element type, then per dimension its length
// and lower bound (1), then each element as its length and bytes.
std::string ArrayHeader(Oid element_type, size_t count) {
  std::string out;
  PutBigEndian32(&out, count == 0 ? 0 : 1);
  PutBigEndian32(&out, 0);
  PutBigEndian32(&out, element_type);
  if (count != 0) {
    PutBigEndian32(&out, static_cast<uint32_t>(count));
    PutBigEndian32(&out, 1);
  }
  return out;
}

std::string ServerMessage(const PGresult* result) {
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
  std::string message = primary != nullptr ? primary : PQresultErrorMessage(result);
  if (detail != nullptr) absl::StrAppend(&message, " (", detail, ")");
  return std::string(absl::StripTrailingAsciiWhitespace(message));
}

}  // namespace

absl::Status PgErrorStatus(absl::string_view sqlstate, absl::string_view what,
                           absl::string_view server_message) {
  const std::string message =
      absl::StrCat(what.substr(0, 200), ": SQLSTATE ", sqlstate, ": ", server_message);
  const absl::string_view error_class = sqlstate.substr(0, 2);
  if (error_class == "08" || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03" || sqlstate == "25006") {
    return absl::UnavailableError(message);
  }
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
    return absl::AbortedError(message);
  }
  if (sqlstate == "23505") return absl::AlreadyExistsError(message);
  if (error_class == "23") return absl::FailedPreconditionError(message);
  if (error_class == "22") return absl::InvalidArgumentError(message);
  if (sqlstate == "3D000" || sqlstate == "42P01") return absl::NotFoundError(message);
  if (error_class == "28") return absl::UnauthenticatedError(message);
  if (sqlstate == "42501") return absl::PermissionDeniedError(message);
  if (error_class == "53" || error_class == "54") return absl::ResourceExhaustedError(message);
  if (sqlstate == "57014") return absl::CancelledError(message);
  if (sqlstate == "XX001" || sqlstate == "XX002") return absl::DataLossError(message);
  return absl::InternalError(message);
}

PgParams& PgParams::Add(Oid type, std::string value) {
  values_.push_back(std::move(value));
  types_.push_back(type);
  pointers_.push_back(values_.back().data());
  lengths_.push_back(static_cast<int>(values_.back().size()));
  formats_.push_back(1);
  return *this;
}

PgParams& PgParams::Int64(int64_t value) {
  return Add(kInt8Oid, BigEndian64(static_cast<uint64_t>(value)));
}

PgParams& PgParams::Bytes(absl::string_view value) { return Add(kByteaOid, std::string(value)); }

PgParams& PgParams::Text(absl::string_view value) { return Add(kTextOid, std::string(value)); }

PgParams& PgParams::Int64Array(absl::Span<const int64_t> values) {
  std::string array = ArrayHeader(kInt8Oid, values.size());
  for (const int64_t value : values) {
    PutBigEndian32(&array, 8);
    PutBigEndian64(&array, static_cast<uint64_t>(value));
  }
  return Add(kInt8ArrayOid, std::move(array));
}

PgParams& PgParams::BytesArray(absl::Span<const absl::string_view> values) {
  std::string array = ArrayHeader(kByteaOid, values.size());
  for (const absl::string_view value : values) {
    PutBigEndian32(&array, static_cast<uint32_t>(value.size()));
    array.append(value.data(), value.size());
  }
  return Add(kByteaArrayOid, std::move(array));
}

bool PgIsNull(const PGresult* result, int row, int column) {
  return PQgetisnull(result, row, column) != 0;
}

bool PgInt64At(const PGresult* result, int row, int column, int64_t* value) {
  if (PgIsNull(result, row, column) || PQgetlength(result, row, column) != 8) return false;
  *value = static_cast<int64_t>(
      DecodeBigEndian64(absl::string_view(PQgetvalue(result, row, column), 8)));
  return true;
}

absl::string_view PgBytesAt(const PGresult* result, int row, int column) {
  return absl::string_view(PQgetvalue(result, row, column),
                           static_cast<size_t>(PQgetlength(result, row, column)));
}

int64_t PgRowsAffected(const PGresult* result) {
  const char* tuples = PQcmdTuples(const_cast<PGresult*>(result));
  int64_t rows = 0;
  for (const char* c = tuples; *c >= '0' && *c <= '9'; ++c) rows = rows * 10 + (*c - '0');
  return rows;
}

absl::StatusOr<std::unique_ptr<PgSession>> PgSession::Connect(const std::string& conninfo) {
  PGconn* connection = PQconnectdb(conninfo.c_str());
  if (connection == nullptr) {
    return absl::ResourceExhaustedError("connecting to PostgreSQL: libpq is out of memory");
  }
  if (PQstatus(connection) != CONNECTION_OK) {
    std::string message(absl::StripTrailingAsciiWhitespace(PQerrorMessage(connection)));
    PQfinish(connection);
    // libpq reports no SQLSTATE for a failed connection; the server's
    // refusals are told apart by their words.
    const std::string what =
        absl::StrCat("connecting to PostgreSQL (", RedactedConninfo(conninfo), ")");
    if (absl::StrContains(message, "does not exist")) {
      return PgErrorStatus("3D000", what, message);
    }
    if (absl::StrContains(message, "authentication failed") ||
        absl::StrContains(message, "no pg_hba.conf entry")) {
      return PgErrorStatus("28000", what, message);
    }
    return PgErrorStatus("08006", what, message);
  }
  std::unique_ptr<PgSession> session(new PgSession(connection));
  // Notices ("... does not exist, skipping") are not results; warnings are
  // kept for TakeWarning. The receiver stays with the connection through
  // PQreset.
  PQsetNoticeReceiver(connection, &PgSession::ReceiveNotice, session.get());
  return session;
}

void PgSession::ReceiveNotice(void* session, const PGresult* notice) {
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity == nullptr || absl::string_view(severity) != "WARNING") return;
  std::string& warning = static_cast<PgSession*>(session)->warning_;
  if (warning.empty()) warning = ServerMessage(notice);
}

std::string PgSession::TakeWarning() { return std::exchange(warning_, std::string()); }

PgSession::~PgSession() { PQfinish(connection_); }

bool PgSession::connected() const { return PQstatus(connection_) == CONNECTION_OK; }

absl::Status PgSession::Reconnect() {
  PQreset(connection_);
  if (connected()) return absl::OkStatus();
  return PgErrorStatus("08006", "reconnecting to PostgreSQL",
                       absl::StripTrailingAsciiWhitespace(PQerrorMessage(connection_)));
}

absl::Status PgSession::Check(const PgResult& result, ExecStatusType expected,
                              absl::string_view what) {
  if (result != nullptr && PQresultStatus(result.get()) == expected) return absl::OkStatus();
  const char* sqlstate =
      result == nullptr ? nullptr : PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
  if (sqlstate != nullptr) return PgErrorStatus(sqlstate, what, ServerMessage(result.get()));
  // No SQLSTATE: libpq's own failure, nearly always a lost connection.
  const std::string message(absl::StripTrailingAsciiWhitespace(
      result == nullptr ? PQerrorMessage(connection_) : PQresultErrorMessage(result.get())));
  if (!connected() || result == nullptr) return PgErrorStatus("08006", what, message);
  return absl::InternalError(absl::StrCat(what.substr(0, 200), ": unexpected result ",
                                          PQresStatus(PQresultStatus(result.get())), " ",
                                          message));
}

absl::Status PgSession::Exec(const std::string& sql) {
  PgResult result(PQexec(connection_, sql.c_str()));
  return Check(result, PGRES_COMMAND_OK, sql);
}

absl::StatusOr<PgResult> PgSession::Query(const std::string& sql) {
  PgResult result(PQexec(connection_, sql.c_str()));
  absl::Status status = Check(result, PGRES_TUPLES_OK, sql);
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<PgResult> PgSession::Run(const std::string& sql, const PgParams& params) {
  PgResult result(PQexecParams(connection_, sql.c_str(), params.size(), params.types(),
                               params.values(), params.lengths(), params.formats(),
                               /*resultFormat=*/1));
  const ExecStatusType expected =
      result != nullptr && PQresultStatus(result.get()) == PGRES_TUPLES_OK ? PGRES_TUPLES_OK
                                                                           : PGRES_COMMAND_OK;
  absl::Status status = Check(result, expected, sql);
  if (!status.ok()) return status;
  return result;
}

absl::Status PgSession::Prepare(const std::string& name, const std::string& sql) {
  PgResult result(PQprepare(connection_, name.c_str(), sql.c_str(), 0, nullptr));
  return Check(result, PGRES_COMMAND_OK, sql);
}

absl::StatusOr<PgResult> PgSession::RunPrepared(const std::string& name, const PgParams& params) {
  PgResult result(PQexecPrepared(connection_, name.c_str(), params.size(), params.values(),
                                 params.lengths(), params.formats(), /*resultFormat=*/1));
  const ExecStatusType expected =
      result != nullptr && PQresultStatus(result.get()) == PGRES_TUPLES_OK ? PGRES_TUPLES_OK
                                                                           : PGRES_COMMAND_OK;
  absl::Status status = Check(result, expected, absl::StrCat("statement ", name));
  if (!status.ok()) return status;
  return result;
}

absl::Status PgSession::CopyIn(const std::string& copy_sql, absl::string_view data) {
  PgResult started(PQexec(connection_, copy_sql.c_str()));
  absl::Status status = Check(started, PGRES_COPY_IN, copy_sql);
  if (!status.ok()) return status;
  if (PQputCopyData(connection_, data.data(), static_cast<int>(data.size())) != 1 ||
      PQputCopyEnd(connection_, nullptr) != 1) {
    return PgErrorStatus("08006", copy_sql, PQerrorMessage(connection_));
  }
  PgResult finished(PQgetResult(connection_));
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

}  // namespace loyalty::util
