#include "privacy/postgres_member_key_store.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/postgres/session_pool.h"
#include "util/pg_session.h"

namespace loyalty::privacy {
namespace {

constexpr char kCreateTable[] =
    "CREATE TABLE IF NOT EXISTS member_keys (name bytea PRIMARY KEY, value bytea NOT NULL)";

// Every error names the store first.
absl::Status Named(const absl::Status& status, absl::string_view what) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat("member key store: ", what, ": ", status.message()));
}

class PostgresMemberKeyStore final : public MemberKeyStore {
 public:
  PostgresMemberKeyStore(const std::string& conninfo, bool read_only)
      : sessions_(conninfo, read_only), read_only_(read_only) {}

  absl::StatusOr<std::optional<std::string>> CheckValue() const override {
    return Value(kCheckValueKey, "reading the check value");
  }

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view member_id) const override {
    return Value(MemberKeyName(member_id), absl::StrCat("reading the key of ", member_id));
  }

  absl::Status Put(absl::string_view member_id, absl::string_view wrapped_key,
                   absl::string_view check_value) override {
    if (absl::Status writable = CheckWritable("storing a key"); !writable.ok()) return writable;
    // One statement: the key, and the check value unless one is recorded.
    util::PgParams params;
    params.Bytes(MemberKeyName(member_id)).Bytes(wrapped_key).Bytes(kCheckValueKey).Bytes(check_value);
    return Write(
        "INSERT INTO member_keys (name, value) VALUES ($1::bytea, $2::bytea), "
        "($3::bytea, $4::bytea) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value "
        "WHERE member_keys.name <> $3::bytea",
        params, absl::StrCat("writing the key of ", member_id));
  }

  absl::Status Destroy(absl::Span<const std::string> member_ids) override {
    if (member_ids.empty()) return absl::OkStatus();
    if (absl::Status writable = CheckWritable("destroying keys"); !writable.ok()) return writable;
    std::vector<std::string> names;
    for (const std::string& member_id : member_ids) {
      names.push_back(MemberKeyName(member_id));
      names.push_back(PendingErasureName(member_id));
    }
    absl::Status status = DeleteNames(names, "deleting member keys");
    if (!status.ok()) return status;
    // A deleted row stays in the table's pages until vacuumed, and a plain
    // VACUUM leaves its bytes in the page's free space: VACUUM FULL writes
    // the live rows to new files and deletes the old ones.
    absl::StatusOr<SessionPool::Lease> session = sessions_.Borrow();
    if (!session.ok()) return Named(session.status(), "rewriting the table after erasure");
    return Named((**session).Exec("VACUUM FULL member_keys"),
                 "rewriting the table after erasure");
  }

  absl::StatusOr<std::vector<std::string>> MemberIds() const override {
    return NamesWithPrefix(kMemberKeyPrefix, "listing member keys");
  }

  absl::Status MarkErasurePending(absl::string_view member_id) override {
    if (absl::Status writable = CheckWritable("recording an erasure"); !writable.ok()) {
      return writable;
    }
    util::PgParams params;
    params.Bytes(PendingErasureName(member_id));
    return Write("INSERT INTO member_keys (name, value) VALUES ($1::bytea, ''::bytea) "
                 "ON CONFLICT (name) DO NOTHING",
                 params, absl::StrCat("recording the erasure of ", member_id));
  }

  absl::StatusOr<std::vector<std::string>> PendingErasures() const override {
    return NamesWithPrefix(kPendingErasurePrefix, "listing pending erasures");
  }

  absl::Status ClearPendingErasures(absl::Span<const std::string> member_ids) override {
    if (member_ids.empty()) return absl::OkStatus();
    if (absl::Status writable = CheckWritable("clearing erasures"); !writable.ok()) {
      return writable;
    }
    std::vector<std::string> names;
    for (const std::string& member_id : member_ids) names.push_back(PendingErasureName(member_id));
    return DeleteNames(names, "clearing pending erasures");
  }

  absl::Status CopyTo(const std::string& directory) override {
    return absl::FailedPreconditionError(absl::StrCat(
        "member key store: copying it to ", directory,
        ": the store is in PostgreSQL, which backs it up with the ledger (docs/replication.md)"));
  }

 private:
  using SessionPool = internal::SessionPool;

  absl::Status CheckWritable(absl::string_view what) const {
    return read_only_ ? ReadOnlyStoreError(what) : absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> Value(const std::string& name,
                                                   absl::string_view what) const {
    absl::StatusOr<SessionPool::Lease> session = sessions_.Borrow();
    if (!session.ok()) return Named(session.status(), what);
    util::PgParams params;
    params.Bytes(name);
    absl::StatusOr<util::PgResult> rows =
        session->Run("SELECT value FROM member_keys WHERE name = $1::bytea", params);
    if (!rows.ok()) return Named(rows.status(), what);
    if (PQntuples(rows->get()) == 0) return std::nullopt;
    return std::string(util::PgBytesAt(rows->get(), 0, 0));
  }

  absl::StatusOr<std::vector<std::string>> NamesWithPrefix(absl::string_view prefix,
                                                           absl::string_view what) const {
    absl::StatusOr<SessionPool::Lease> session = sessions_.Borrow();
    if (!session.ok()) return Named(session.status(), what);
    util::PgParams params;
    params.Bytes(prefix);
    // bytea sorts byte by byte, as RocksDB's keys do.
    absl::StatusOr<util::PgResult> rows = session->Run(
        "SELECT substring(name FROM length($1::bytea) + 1) FROM member_keys "
        "WHERE substring(name FROM 1 FOR length($1::bytea)) = $1::bytea ORDER BY name",
        params);
    if (!rows.ok()) return Named(rows.status(), what);
    std::vector<std::string> ids;
    for (int row = 0; row < PQntuples(rows->get()); ++row) {
      ids.emplace_back(util::PgBytesAt(rows->get(), row, 0));
    }
    return ids;
  }

  // Writes are not repeated on a new connection: whether a lost one
  // committed is unknown, and the caller decides (every write here can be
  // repeated as it is).
  absl::Status Write(const std::string& sql, const util::PgParams& params,
                     absl::string_view what) {
    absl::StatusOr<SessionPool::Lease> session = sessions_.Borrow();
    if (!session.ok()) return Named(session.status(), what);
    return Named((**session).Run(sql, params).status(), what);
  }

  absl::Status DeleteNames(const std::vector<std::string>& names, absl::string_view what) {
    std::vector<absl::string_view> views(names.begin(), names.end());
    util::PgParams params;
    params.BytesArray(views);
    return Write("DELETE FROM member_keys WHERE name = ANY($1::bytea[])", params, what);
  }

  mutable SessionPool sessions_;
  const bool read_only_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MemberKeyStore>> OpenPostgresMemberKeyStore(
    const std::string& conninfo, bool read_only, bool create) {
  absl::StatusOr<std::unique_ptr<util::PgSession>> session =
      internal::ConnectLedgerSession(conninfo, read_only);
  if (!session.ok()) return Named(session.status(), "connecting");
  absl::StatusOr<util::PgResult> found = (*session)->Query(
      "SELECT to_regclass(quote_ident(current_schema()) || '.member_keys') IS NOT NULL, "
      "current_schema()");
  if (!found.ok()) return Named(found.status(), "looking for its table");
  const bool exists = std::string(PQgetvalue(found->get(), 0, 0)) == "t";
  if (!exists) {
    if (!create || read_only) {
      return absl::NotFoundError(absl::StrCat("member key store: schema ",
                                              PQgetvalue(found->get(), 0, 1),
                                              " has no member_keys table"));
    }
    absl::Status created = (*session)->Exec(kCreateTable);
    if (!created.ok()) return Named(created, "creating its table");
  }
  return std::unique_ptr<MemberKeyStore>(new PostgresMemberKeyStore(conninfo, read_only));
}

}  // namespace loyalty::privacy
