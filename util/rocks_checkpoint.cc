#include "util/rocks_checkpoint.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/utilities/checkpoint.h"
#include "util/db_directory.h"
#include "util/rocks_status.h"

namespace loyalty::util {

absl::Status CreateRocksCheckpoint(rocksdb::DB& db, const std::string& directory,
                                   absl::string_view what) {
  rocksdb::Checkpoint* raw = nullptr;
  absl::Status status =
      FromRocks(rocksdb::Checkpoint::Create(&db, &raw), absl::StrCat("copying ", what));
  if (!status.ok()) return status;
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // A log size of 0 flushes every memtable first: the copy needs no log.
  return FromRocks(checkpoint->CreateCheckpoint(directory, /*log_size_for_flush=*/0),
                   absl::StrCat("copying ", what, " to ", directory));
}

absl::StatusOr<std::unique_ptr<rocksdb::DB>> OpenDatabaseAsItIs(const std::string& path,
                                                               absl::string_view what) {
  rocksdb::DBOptions options;
  std::vector<std::string> names;
  absl::Status status = FromRocks(rocksdb::DB::ListColumnFamilies(options, path, &names),
                                  absl::StrCat("opening ", what, " in ", path));
  if (!status.ok()) return status;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) {
    families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status opened = rocksdb::DB::Open(options, path, families, &handles, &raw);
  if (!opened.ok()) {
    // RocksDB names a held LOCK only in its message.
    if (opened.IsIOError() && absl::StrContains(opened.ToString(), "/LOCK")) {
      return absl::UnavailableError(absl::StrCat(what, " in ", path,
                                                 " is in use by another process; try again"));
    }
    return FromRocks(opened, absl::StrCat("opening ", what, " in ", path));
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    (void)db->DestroyColumnFamilyHandle(handle);
  }
  RemoveEmptyEarlierWals(*db);
  return db;
}

}  // namespace loyalty::util
