// MemberKeyStore: where the wrapped member data keys are kept, with the
// master-key check value and the marks of erasures in progress. Two
// implementations, one layout:
//
//   "check"            -> MasterKeyCheckValue(master key)
//   "m/" member_id     -> WrapMemberKey(...)
//   "p/" member_id     -> "" (an erasure in progress)
//
// - RocksDB (Create, Open below): a database of its own beside the ledger
//   (DIRECTORY/member-keys, column family "member_keys"). Why not a column
//   family of the ledger's: every column family of one RocksDB shares its
//   write-ahead log, so a key written beside the events would stay in a log
//   file until every family of the ledger was flushed. Here erasure flushes
//   only the keys' database, after which its old log and table files are
//   deleted and the destroyed key is on no file at all.
// - PostgreSQL (postgres_member_key_store.h): a table beside the ledger's,
//   so the keys survive a failover with the events they open.
//
// Thread safety: every method may be called from many threads.
#ifndef LOYALTY_PRIVACY_MEMBER_KEY_STORE_H_
#define LOYALTY_PRIVACY_MEMBER_KEY_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace loyalty::privacy {

inline constexpr char kMemberKeysFamily[] = "member_keys";

// The layout above, which every implementation keeps.
inline constexpr char kCheckValueKey[] = "check";
inline constexpr char kMemberKeyPrefix[] = "m/";
inline constexpr char kPendingErasurePrefix[] = "p/";
std::string MemberKeyName(absl::string_view member_id);       // "m/" member_id
std::string PendingErasureName(absl::string_view member_id);  // "p/" member_id
// What a write to a store opened read-only returns: FailedPrecondition
// "member key store: WHAT: the store is open read-only".
absl::Status ReadOnlyStoreError(absl::string_view what);

class MemberKeyStore {
 public:
  // Creates an empty RocksDB store in `directory`, which must not exist or
  // be empty, all at once (util/db_directory.h).
  static absl::Status Create(const std::string& directory);

  // Opens the existing RocksDB store in `directory`; never creates one.
  // With `read_only` nothing in the directory is written (no lock, no log
  // file) and Put, Destroy and MarkErasurePending fail with
  // FailedPrecondition. DataLoss when a file of the store fails its checks;
  // Internal for other storage errors.
  static absl::StatusOr<std::unique_ptr<MemberKeyStore>> Open(const std::string& directory,
                                                              bool read_only);
  virtual ~MemberKeyStore() = default;

  // The recorded master-key check value; nullopt before the first key.
  virtual absl::StatusOr<std::optional<std::string>> CheckValue() const = 0;

  // The member's wrapped key; nullopt if it has none (never had, or
  // destroyed).
  virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view member_id) const = 0;

  // Stores the member's wrapped key, and `check_value` if none is recorded
  // yet, in one durable write.
  virtual absl::Status Put(absl::string_view member_id, absl::string_view wrapped_key,
                           absl::string_view check_value) = 0;

  // Deletes the members' keys (durably), then rewrites the store so that
  // none of its files holds them any more (what remains elsewhere, by
  // backend: docs/privacy.md). Keys that do not exist are no error.
  virtual absl::Status Destroy(absl::Span<const std::string> member_ids) = 0;

  // Every member id that has a key, in order (for tests and tooling).
  virtual absl::StatusOr<std::vector<std::string>> MemberIds() const = 0;

  // Erasure in two steps (docs/privacy.md): the intent is recorded here
  // before the erasure event is appended, and Destroy clears it with the
  // key. A crash between leaves the mark, so the next open can finish (or
  // drop) the erasure. Durable.
  virtual absl::Status MarkErasurePending(absl::string_view member_id) = 0;
  // The members marked and not destroyed yet, in order.
  virtual absl::StatusOr<std::vector<std::string>> PendingErasures() const = 0;
  // Drops the marks of erasures that never reached the log; keys stay.
  virtual absl::Status ClearPendingErasures(absl::Span<const std::string> member_ids) = 0;

  // Copies the store as it is now into `directory`, which must not exist
  // (util/rocks_checkpoint.h): what a backup takes. RocksDB only: the
  // PostgreSQL store fails with FailedPrecondition (the database is backed
  // up with PostgreSQL's tools, docs/replication.md).
  virtual absl::Status CopyTo(const std::string& directory) = 0;
};

}  // namespace loyalty::privacy

#endif  // LOYALTY_PRIVACY_MEMBER_KEY_STORE_H_
