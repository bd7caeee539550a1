#include "ledger/postgres/ledger_schema.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "util/sha256.h"

namespace loyalty::internal {
namespace {

// Serialises creators of a ledger in one database (pg_advisory_xact_lock):
// "loyalty" in ASCII.
constexpr char kCreationLock[] = "SELECT pg_advisory_xact_lock(32496501039838329)";

// Unquoted names resolve to the first schema of the search_path that
// exists, which is where current_schema() points: the tables are created
// there and looked for there.
constexpr char kCreateTables[] = R"sql(
CREATE TABLE meta (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  format text NOT NULL);
CREATE TABLE head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  sequence bigint NOT NULL CHECK (sequence >= 0),
  hash bytea NOT NULL CHECK (length(hash) = 32),
  recorded_at_us bigint NOT NULL);
CREATE TABLE events (
  sequence bigint PRIMARY KEY CHECK (sequence >= 1),
  stream_id bytea NOT NULL,
  stream_version bigint NOT NULL CHECK (stream_version >= 1),
  idempotency_key bytea NOT NULL UNIQUE,
  content_digest bytea NOT NULL CHECK (length(content_digest) = 32),
  recorded_at_us bigint NOT NULL,
  canonical_bytes bytea NOT NULL,
  hash bytea NOT NULL CHECK (length(hash) = 32),
  UNIQUE (stream_id, stream_version));
-- SequenceAtTime: the last event recorded at or before an instant.
CREATE INDEX events_recorded_at ON events (recorded_at_us, sequence);
-- The log is never rewritten: corrections are new events.
CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger''s events are never rewritten (% refused)', TG_OP
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_are_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_are_append_only();
)sql";

enum class SchemaKind { kEmpty, kLedger, kForeign };

struct FoundSchema {
  std::string name;
  SchemaKind kind = SchemaKind::kEmpty;
  std::vector<std::string> relations;
};

absl::StatusOr<FoundSchema> InspectSchema(util::PgSession& session) {
  absl::StatusOr<util::PgResult> schema = session.Query("SELECT current_schema()");
  if (!schema.ok()) return schema.status();
  if (PQntuples(schema->get()) != 1 || util::PgIsNull(schema->get(), 0, 0)) {
    return absl::FailedPreconditionError(
        "no schema to hold the ledger: the connection's search_path names no schema that "
        "exists (set it with options=-csearch_path=NAME, or create the schema)");
  }
  FoundSchema found;
  found.name = PQgetvalue(schema->get(), 0, 0);
  absl::StatusOr<util::PgResult> relations = session.Query(
      "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') "
      "ORDER BY 1");
  if (!relations.ok()) return relations.status();
  for (int row = 0; row < PQntuples(relations->get()); ++row) {
    found.relations.emplace_back(PQgetvalue(relations->get(), row, 0));
    if (found.relations.back() == "meta") found.kind = SchemaKind::kLedger;
  }
  if (found.kind != SchemaKind::kLedger && !found.relations.empty()) {
    found.kind = SchemaKind::kForeign;
  }
  return found;
}

std::string Where(const FoundSchema& found) { return absl::StrCat("schema \"", found.name, "\""); }

std::string NamesForMessage(const std::vector<std::string>& names) {
  constexpr size_t kNamed = 5;
  std::vector<std::string> shown(names.begin(),
                                 names.begin() + std::min(names.size(), kNamed));
  std::string text = absl::StrJoin(shown, ", ");
  if (names.size() > kNamed) absl::StrAppend(&text, " and ", names.size() - kNamed, " more");
  return text;
}

absl::Status CheckFormat(util::PgSession& session, const FoundSchema& found) {
  absl::StatusOr<util::PgResult> format = session.Query("SELECT format FROM meta");
  if (!format.ok()) return format.status();
  if (PQntuples(format->get()) != 1) {
    return absl::DataLossError(absl::StrCat("the ledger in ", Where(found), " has ",
                                            PQntuples(format->get()),
                                            " rows in its meta table, expected 1"));
  }
  const std::string stored = PQgetvalue(format->get(), 0, 0);
  if (stored != kPostgresFormatName) {
    return absl::FailedPreconditionError(absl::StrCat(Where(found), " holds ledger format \"",
                                                      stored, "\", this build reads \"",
                                                      kPostgresFormatName, "\""));
  }
  return absl::OkStatus();
}

absl::Status CreateTables(util::PgSession& session) {
  absl::Status status = session.Exec(kCreateTables);
  if (status.ok()) {
    status = session.Exec(absl::StrCat("INSERT INTO meta (format) VALUES ('",
                                       kPostgresFormatName, "')"));
  }
  if (status.ok()) {
    status = session.Exec(
        absl::StrCat("INSERT INTO head (sequence, hash, recorded_at_us) VALUES (0, '\\x",
                     std::string(64, '0'), "', 0)"));
  }
  return status;
}

// Looks at the schema inside a transaction that holds the creation lock,
// and creates the ledger if the schema is empty.
absl::StatusOr<FoundSchema> FindOrCreate(util::PgSession& session) {
  absl::Status status = session.Exec("BEGIN");
  if (status.ok()) status = session.Query(kCreationLock).status();
  absl::StatusOr<FoundSchema> found =
      status.ok() ? InspectSchema(session) : absl::StatusOr<FoundSchema>(status);
  if (found.ok() && found->kind == SchemaKind::kEmpty) {
    status = CreateTables(session);
    if (status.ok()) {
      found->kind = SchemaKind::kLedger;
    } else {
      found = status;
    }
  }
  // Commits the creation, or ends a transaction that changed nothing.
  // Nothing of a failed creation stays: DDL is transactional.
  const absl::Status ended = session.Exec(found.ok() ? "COMMIT" : "ROLLBACK");
  if (found.ok() && !ended.ok()) return ended;
  return found;
}

}  // namespace

absl::StatusOr<ChainHead> ReadStoredHead(util::PgSession& session) {
  absl::StatusOr<util::PgResult> rows =
      session.Run("SELECT sequence, hash, recorded_at_us FROM head", util::PgParams());
  if (!rows.ok()) {
    if (absl::IsNotFound(rows.status())) {
      return absl::DataLossError(absl::StrCat(
          "the ledger has its meta table but no head table; nothing was changed. Restore it "
          "from a backup (",
          rows.status().message(), ")"));
    }
    return rows.status();
  }
  const PGresult* result = rows->get();
  ChainHead head;
  int64_t sequence = 0;
  if (PQntuples(result) != 1 || !util::PgInt64At(result, 0, 0, &sequence) ||
      !util::DigestFromBytes(util::PgBytesAt(result, 0, 1), &head.hash) ||
      !util::PgInt64At(result, 0, 2, &head.recorded_at_us)) {
    return absl::DataLossError(absl::StrCat("the stored chain head is not one well-formed row (",
                                            PQntuples(result), " rows)"));
  }
  head.sequence = static_cast<uint64_t>(sequence);
  return head;
}

absl::Status AwaitSynchronousStandbys(util::PgSession& session) {
  (void)session.TakeWarning();
  absl::StatusOr<util::PgResult> written =
      session.Run("UPDATE meta SET format = format", util::PgParams());
  if (!written.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "waiting for a synchronous standby to hold what the ledger read: ",
        written.status().message()));
  }
  const std::string warning = session.TakeWarning();
  if (!warning.empty()) {
    return absl::UnavailableError(absl::StrCat(
        "waiting for a synchronous standby to hold what the ledger read: the server warned: ",
        warning));
  }
  return absl::OkStatus();
}

absl::StatusOr<ChainHead> OpenLedgerSchema(util::PgSession& session,
                                           const LedgerOptions& options) {
  const bool may_create = options.create_if_missing && !options.read_only;
  absl::StatusOr<FoundSchema> found = may_create ? FindOrCreate(session) : InspectSchema(session);
  if (!found.ok()) return found.status();
  switch (found->kind) {
    case SchemaKind::kEmpty:
      return absl::InvalidArgumentError(
          absl::StrCat("no ledger in ", Where(*found), ": it is empty",
                       options.read_only ? "" : " (create_if_missing creates one)"));
    case SchemaKind::kForeign:
      if (may_create) {
        return absl::FailedPreconditionError(absl::StrCat(
            Where(*found), " is not empty and holds no ledger (it holds ",
            NamesForMessage(found->relations),
            "); nothing was changed: give an empty schema or database"));
      }
      return absl::InvalidArgumentError(absl::StrCat("no ledger in ", Where(*found), ": it holds ",
                                                     NamesForMessage(found->relations),
                                                     " and no ledger"));
    case SchemaKind::kLedger:
      break;
  }
  absl::Status format = CheckFormat(session, *found);
  if (!format.ok()) return format;
  return ReadStoredHead(session);
}

}  // namespace loyalty::internal
