// The member key store on PostgreSQL: one table, member_keys (name bytea
// primary key, value bytea), beside the PostgreSQL ledger's tables in the
// same schema, with the layout of member_key_store.h. The keys live where
// the events they open live, so they survive a failover with them.
//
// Erasure deletes the rows and rewrites the table (VACUUM FULL), so that no
// file of the table holds a destroyed key; PostgreSQL's write-ahead log,
// standbys and backups keep it for longer (docs/privacy.md, "On
// PostgreSQL").
#ifndef LOYALTY_PRIVACY_POSTGRES_MEMBER_KEY_STORE_H_
#define LOYALTY_PRIVACY_POSTGRES_MEMBER_KEY_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "privacy/member_key_store.h"

namespace loyalty::privacy {

// Opens the store in the database `conninfo` names (a libpq connection
// string or URI), in the first schema of its search_path, the ledger's.
// NotFound when that schema has no member_keys table and `create` is false;
// with `create` (never with `read_only`) the table is made. `read_only`
// makes every transaction of its sessions read-only on the server, and
// Put, Destroy and the erasure marks fail with FailedPrecondition.
// Unavailable, ... when the server cannot be reached (util/pg_session.h).
absl::StatusOr<std::unique_ptr<MemberKeyStore>> OpenPostgresMemberKeyStore(
    const std::string& conninfo, bool read_only, bool create);

}  // namespace loyalty::privacy

#endif  // LOYALTY_PRIVACY_POSTGRES_MEMBER_KEY_STORE_H_
