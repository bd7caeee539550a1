// MemberKeyStore: the wrapped member data keys, in a RocksDB database of
// their own (DIRECTORY/member-keys, column family "member_keys").
//
// Why a database of its own and not a column family of the ledger's: every
// column family of one RocksDB shares its write-ahead log, so a key written
// beside the events would stay in a log file until every family of the
// ledger was flushed. Here erasure flushes only the keys' database, after
// which its old log and table files are deleted and the destroyed key is on
// no file at all.
//
//   member_keys  "check"            -> MasterKeyCheckValue(master key)
//                "m/" member_id     -> WrapMemberKey(...)
//                "p/" member_id     -> "" (an erasure in progress)
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

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
}  // namespace rocksdb

namespace loyalty::privacy {

inline constexpr char kMemberKeysFamily[] = "member_keys";

class MemberKeyStore {
 public:
  // Creates an empty store in `directory`, which must not exist or be
  // empty, all at once (util/db_directory.h).
  static absl::Status Create(const std::string& directory);

  // Opens the existing store in `directory`; never creates one. With
  // `read_only` nothing in the directory is written (no lock, no log file)
  // and Put, Destroy and MarkErasurePending fail with FailedPrecondition.
  // DataLoss when a file of the store fails its checks; Internal for other
  // storage errors.
  static absl::StatusOr<std::unique_ptr<MemberKeyStore>> Open(const std::string& directory,
                                                              bool read_only);
  ~MemberKeyStore();

  // The recorded master-key check value; nullopt before the first key.
  absl::StatusOr<std::optional<std::string>> CheckValue() const;

  // The member's wrapped key; nullopt if it has none (never had, or
  // destroyed).
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view member_id) const;

  // Stores the member's wrapped key, and `check_value` if none is recorded
  // yet, in one synced write.
  absl::Status Put(absl::string_view member_id, absl::string_view wrapped_key,
                   absl::string_view check_value);

  // Deletes the members' keys (synced), then flushes and compacts the
  // family so that no table or log file holds them any more. Keys that do
  // not exist are no error.
  absl::Status Destroy(absl::Span<const std::string> member_ids);

  // Every member id that has a key, in order (for tests and tooling).
  absl::StatusOr<std::vector<std::string>> MemberIds() const;

  // Erasure in two steps (docs/privacy.md): the intent is recorded here
  // before the erasure event is appended, and Destroy clears it with the
  // key. A crash between leaves the mark, so the next open can finish (or
  // drop) the erasure. Synced.
  absl::Status MarkErasurePending(absl::string_view member_id);
  // The members marked and not destroyed yet, in order.
  absl::StatusOr<std::vector<std::string>> PendingErasures() const;
  // Drops the marks of erasures that never reached the log; keys stay.
  absl::Status ClearPendingErasures(absl::Span<const std::string> member_ids);

  // Copies the store as it is now into `directory`, which must not exist
  // (util/rocks_checkpoint.h): what a backup takes.
  absl::Status CopyTo(const std::string& directory);

 private:
  MemberKeyStore(std::unique_ptr<rocksdb::DB> db,
                 std::vector<rocksdb::ColumnFamilyHandle*> families, bool read_only);
  absl::Status CheckWritable(absl::string_view what) const;
  rocksdb::ColumnFamilyHandle* keys() const { return families_[1]; }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;  // [0] is RocksDB's default
  const bool read_only_;
};

}  // namespace loyalty::privacy

#endif  // LOYALTY_PRIVACY_MEMBER_KEY_STORE_H_
