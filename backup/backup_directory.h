// A backup directory (loyalty/backup.h): its FORMAT file, its lock, and one
// RocksDB BackupEngine per store. Knows files and backups, not engines.
#ifndef LOYALTY_BACKUP_BACKUP_DIRECTORY_H_
#define LOYALTY_BACKUP_BACKUP_DIRECTORY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backup/backup_metadata.h"
#include "loyalty/backup.h"
#include "util/file_lock.h"

namespace rocksdb {
class BackupEngine;
class BackupEngineReadOnly;
class BackupEngineReadOnlyBase;
}  // namespace rocksdb

namespace loyalty::backup {

// One backup as listed: what the public API shows and the metadata behind it.
struct ListedBackup {
  BackupInfo info;
  BackupMetadata metadata;
};

class BackupDirectory {
 public:
  // For taking and deleting backups: `path` must be a backup directory, or
  // with `create` may also not exist or be empty (it is made one then);
  // FailedPrecondition naming what it holds otherwise, NotFound without
  // `create`, nothing changed. Locked against every other use.
  static absl::StatusOr<std::unique_ptr<BackupDirectory>> OpenForWriting(const std::string& path,
                                                                         bool create);
  // For listing, verifying and restoring; writes nothing. NotFound when
  // `path` is no backup directory. Shares the lock with other readers.
  static absl::StatusOr<std::unique_ptr<BackupDirectory>> OpenForReading(const std::string& path);
  ~BackupDirectory();

  // Backs up the database in `staged` (a copy no other process opens) as
  // the next backup of `store`, with `app_metadata`; returns its id.
  absl::StatusOr<uint32_t> Add(absl::string_view store, const std::string& staged,
                               const std::string& app_metadata);

  // Deletes the backups of the stores beside the ledger that no backup of
  // the ledger names: what an interrupted backup left behind.
  absl::Status RemoveUnnamedParts();

  // Deletes all backups but the newest `keep` (>= 1), in every store;
  // returns the ids deleted.
  absl::StatusOr<std::vector<uint32_t>> Purge(uint32_t keep);

  // Every backup, oldest first.
  absl::StatusOr<std::vector<ListedBackup>> List();

  // The backup `backup_id`, or the latest for 0. NotFound listing the ids.
  absl::StatusOr<ListedBackup> Find(uint32_t backup_id);

  // Checks every file of `backup` in every store against its recorded size
  // and checksum. DataLoss naming the store and the file.
  absl::Status Verify(const ListedBackup& backup);

  // Restores `backup`'s stores into `directory` (the ledger) and its
  // sub-directories (the other stores).
  absl::Status Restore(const ListedBackup& backup, const std::string& directory);

  // The bytes of every file under the directory.
  uint64_t SizeBytes() const;

 private:
  BackupDirectory(std::string path, bool writing, std::unique_ptr<util::FileLock> lock);

  // The BackupEngine of `store`, opened on first use.
  absl::StatusOr<rocksdb::BackupEngineReadOnlyBase*> Reader(absl::string_view store);
  absl::StatusOr<rocksdb::BackupEngine*> Writer(absl::string_view store);

  const std::string path_;
  const bool writing_;
  std::unique_ptr<util::FileLock> lock_;  // DIR/LOCK: exclusive writing, shared reading
  std::map<std::string, std::unique_ptr<rocksdb::BackupEngine>, std::less<>> writers_;
  std::map<std::string, std::unique_ptr<rocksdb::BackupEngineReadOnly>, std::less<>> readers_;
};

}  // namespace loyalty::backup

#endif  // LOYALTY_BACKUP_BACKUP_DIRECTORY_H_
