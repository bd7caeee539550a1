// Point-in-time copies of a RocksDB database in another directory of the
// same file system: tables hard-linked, the rest copied (RocksDB's
// Checkpoint). What a backup copies from, so that the stores of a ledger
// are caught at one moment and copied afterwards, at leisure.
#ifndef LOYALTY_UTIL_ROCKS_CHECKPOINT_H_
#define LOYALTY_UTIL_ROCKS_CHECKPOINT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rocksdb {
class DB;
}

namespace loyalty::util {

// Copies `db` as it is now into `directory`, which must not exist (its
// parent must): the memtables are flushed first, so the copy is tables and
// metadata only and opens without replaying a log. `what` names the store
// in errors ("the ledger").
absl::Status CreateRocksCheckpoint(rocksdb::DB& db, const std::string& directory,
                                   absl::string_view what);

// Opens the database in `path` as it is, every column family with RocksDB's
// default options (enough to copy its files: nothing is read through
// them), for a store this process does not hold open. The open takes the
// database's LOCK: Unavailable when another process holds it.
absl::StatusOr<std::unique_ptr<rocksdb::DB>> OpenDatabaseAsItIs(const std::string& path,
                                                               absl::string_view what);

}  // namespace loyalty::util

#endif  // LOYALTY_UTIL_ROCKS_CHECKPOINT_H_
