#include "backup/backup_directory.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/utilities/backup_engine.h"
#include "util/db_directory.h"
#include "util/rocks_checkpoint.h"
#include "util/rocks_status.h"

namespace loyalty::backup {
namespace {

namespace fs = std::filesystem;

constexpr char kFormatFile[] = "FORMAT";
constexpr char kFormatTemporary[] = "FORMAT.tmp";  // WriteFormatFile's, renamed to FORMAT
constexpr char kLockFile[] = "LOCK";

absl::Status FileError(absl::string_view what, const std::string& path, int error_number) {
  const std::string message =
      absl::StrCat(what, " ", path, ": ", std::strerror(error_number));
  if (error_number == EACCES || error_number == EPERM || error_number == EROFS) {
    return absl::PermissionDeniedError(message);
  }
  return absl::InternalError(message);
}

bool IsOurEntry(absl::string_view name) {
  if (name == kFormatFile || name == kFormatTemporary || name == kLockFile ||
      name == kLedgerStore) {
    return true;
  }
  return std::find(std::begin(kOtherStores), std::end(kOtherStores), name) !=
         std::end(kOtherStores);
}

// What `path` holds: nothing (missing or empty), a backup directory, or
// something else (its entries named in `*foreign`).
enum class Found { kNothing, kBackupDirectory, kForeign };

absl::StatusOr<Found> Inspect(const std::string& path, std::vector<std::string>* foreign) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) return Found::kNothing;
  if (!fs::is_directory(status)) {
    foreign->push_back("it is a file");
    return Found::kForeign;
  }
  bool has_format = false;
  // Only what a creation killed before FORMAT was in place leaves (its lock
  // file, FORMAT's temporary): nothing to lose, so nothing there.
  bool creation_leftovers_only = true;
  std::vector<std::string> ours;
  for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) {
    const std::string name = entry.path().filename().string();
    if (name == kFormatFile) has_format = true;
    if (name != kLockFile && name != kFormatTemporary) creation_leftovers_only = false;
    (IsOurEntry(name) ? ours : *foreign).push_back(name);
  }
  if (error) return FileError("listing", path, error.value());
  if (!has_format && creation_leftovers_only) return Found::kNothing;
  // Stores without FORMAT are named as what the directory holds.
  if (!has_format && foreign->empty()) *foreign = std::move(ours);
  std::sort(foreign->begin(), foreign->end());
  if (!has_format || !foreign->empty()) return Found::kForeign;
  std::ifstream in(fs::path(path) / kFormatFile);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str() != absl::StrCat(kMetadataFormat, "\n")) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, "/", kFormatFile, " does not say \"", kMetadataFormat,
        "\": a backup directory of another format, which this build does not read"));
  }
  return Found::kBackupDirectory;
}

// NotFound for a path that Inspect found no backup directory at.
absl::Status NoBackups(const std::string& path, Found found,
                       const std::vector<std::string>& foreign) {
  return absl::NotFoundError(absl::StrCat(
      "no backups in ", path, " (",
      found == Found::kNothing
          ? "nothing there"
          : absl::StrCat("it holds ", util::NamesForMessage(foreign), " and no ", kFormatFile),
      ")"));
}

absl::Status WriteFormatFile(const std::string& path) {
  const std::string target = (fs::path(path) / kFormatFile).string();
  const std::string temporary = (fs::path(path) / kFormatTemporary).string();
  const std::string text = absl::StrCat(kMetadataFormat, "\n");
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return FileError("creating", temporary, errno);
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  const int write_errno = errno;
  ::close(fd);
  if (!written) return FileError("writing", temporary, write_errno);
  if (::rename(temporary.c_str(), target.c_str()) != 0) return FileError("renaming", temporary, errno);
  const int directory = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory < 0) return FileError("opening", path, errno);
  const int synced = ::fsync(directory);
  const int sync_errno = errno;
  ::close(directory);
  if (synced != 0) return FileError("syncing", path, sync_errno);
  return absl::OkStatus();
}

rocksdb::BackupEngineOptions EngineOptions(const std::string& directory) {
  rocksdb::BackupEngineOptions options(directory);
  options.share_table_files = true;
  options.share_files_with_checksum = true;
  options.sync = true;
  options.max_background_operations = 2;
  return options;
}

// Every store's backup that makes `backup`: the ledger's first.
std::vector<std::pair<std::string, uint32_t>> PartsOf(const ListedBackup& backup) {
  std::vector<std::pair<std::string, uint32_t>> parts = {{kLedgerStore, backup.info.backup_id}};
  parts.insert(parts.end(), backup.metadata.parts.begin(), backup.metadata.parts.end());
  return parts;
}

}  // namespace

BackupDirectory::BackupDirectory(std::string path, bool writing,
                                 std::unique_ptr<util::FileLock> lock)
    : path_(std::move(path)), writing_(writing), lock_(std::move(lock)) {}

BackupDirectory::~BackupDirectory() = default;

absl::StatusOr<std::unique_ptr<BackupDirectory>> BackupDirectory::OpenForWriting(
    const std::string& path, bool create) {
  std::vector<std::string> foreign;
  absl::StatusOr<Found> found = Inspect(path, &foreign);
  if (!found.ok()) return found.status();
  if (!create && *found != Found::kBackupDirectory) return NoBackups(path, *found, foreign);
  if (*found == Found::kForeign) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " is not a backup directory (it holds ", util::NamesForMessage(foreign),
        " and no ", kFormatFile, "); backups go only into a new or empty directory or one that "
        "holds backups; nothing was changed"));
  }
  std::error_code error;
  fs::create_directories(path, error);
  if (error) return FileError("creating", path, error.value());
  absl::StatusOr<std::unique_ptr<util::FileLock>> lock =
      util::FileLock::Exclusive((fs::path(path) / kLockFile).string());
  if (!lock.ok()) {
    if (!absl::IsUnavailable(lock.status())) return lock.status();
    return absl::UnavailableError(absl::StrCat(
        "the backup directory ", path, " is in use by another backup or restore; try again"));
  }
  if (*found == Found::kNothing) {
    absl::Status written = WriteFormatFile(path);
    if (!written.ok()) return written;
  }
  return std::unique_ptr<BackupDirectory>(new BackupDirectory(path, true, std::move(*lock)));
}

absl::StatusOr<std::unique_ptr<BackupDirectory>> BackupDirectory::OpenForReading(
    const std::string& path) {
  std::vector<std::string> foreign;
  absl::StatusOr<Found> found = Inspect(path, &foreign);
  if (!found.ok()) return found.status();
  if (*found != Found::kBackupDirectory) return NoBackups(path, *found, foreign);
  // Readers write nothing: no lock file is made where none is.
  absl::StatusOr<std::unique_ptr<util::FileLock>> lock =
      util::FileLock::SharedIfExists((fs::path(path) / kLockFile).string());
  if (!lock.ok()) {
    if (!absl::IsUnavailable(lock.status())) return lock.status();
    return absl::UnavailableError(
        absl::StrCat("the backup directory ", path, " is being written by a backup; try again"));
  }
  return std::unique_ptr<BackupDirectory>(new BackupDirectory(path, false, std::move(*lock)));
}

absl::StatusOr<rocksdb::BackupEngine*> BackupDirectory::Writer(absl::string_view store) {
  if (auto it = writers_.find(store); it != writers_.end()) return it->second.get();
  const std::string directory = (fs::path(path_) / std::string(store)).string();
  rocksdb::BackupEngine* engine = nullptr;
  absl::Status opened = util::FromRocks(
      rocksdb::BackupEngine::Open(EngineOptions(directory), rocksdb::Env::Default(), &engine),
      absl::StrCat("opening the backups of the ", store, " in ", directory));
  if (!opened.ok()) return opened;
  return writers_.emplace(std::string(store), std::unique_ptr<rocksdb::BackupEngine>(engine))
      .first->second.get();
}

absl::StatusOr<rocksdb::BackupEngineReadOnlyBase*> BackupDirectory::Reader(
    absl::string_view store) {
  if (writing_) return Writer(store);
  if (auto it = readers_.find(store); it != readers_.end()) return it->second.get();
  const std::string directory = (fs::path(path_) / std::string(store)).string();
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    return absl::DataLossError(
        absl::StrCat("the backups of the ", store, " are missing: no directory ", directory));
  }
  rocksdb::BackupEngineReadOnly* engine = nullptr;
  absl::Status opened = util::FromRocks(
      rocksdb::BackupEngineReadOnly::Open(EngineOptions(directory), rocksdb::Env::Default(),
                                          &engine),
      absl::StrCat("opening the backups of the ", store, " in ", directory));
  if (!opened.ok()) return opened;
  return readers_
      .emplace(std::string(store), std::unique_ptr<rocksdb::BackupEngineReadOnly>(engine))
      .first->second.get();
}

absl::StatusOr<uint32_t> BackupDirectory::Add(absl::string_view store, const std::string& staged,
                                              const std::string& app_metadata) {
  absl::StatusOr<rocksdb::BackupEngine*> engine = Writer(store);
  if (!engine.ok()) return engine.status();
  absl::StatusOr<std::unique_ptr<rocksdb::DB>> db =
      util::OpenDatabaseAsItIs(staged, absl::StrCat("the copy of the ", store));
  if (!db.ok()) return db.status();
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = false;  // the copy was flushed when it was made
  rocksdb::BackupID backup_id = 0;
  absl::Status created = util::FromRocks(
      (*engine)->CreateNewBackupWithMetadata(options, db->get(), app_metadata, &backup_id),
      absl::StrCat("backing up the ", store, " into ", path_));
  if (!created.ok()) return created;
  return backup_id;
}

absl::Status BackupDirectory::RemoveUnnamedParts() {
  absl::StatusOr<std::vector<ListedBackup>> backups = List();
  if (!backups.ok()) return backups.status();
  for (const char* store : kOtherStores) {
    std::error_code error;
    if (!fs::is_directory(fs::path(path_) / store, error)) continue;
    absl::flat_hash_set<uint32_t> named;
    for (const ListedBackup& backup : *backups) {
      for (const auto& [part_store, part_id] : backup.metadata.parts) {
        if (part_store == store) named.insert(part_id);
      }
    }
    absl::StatusOr<rocksdb::BackupEngine*> engine = Writer(store);
    if (!engine.ok()) return engine.status();
    std::vector<rocksdb::BackupInfo> infos;
    (*engine)->GetBackupInfo(&infos);
    for (const rocksdb::BackupInfo& info : infos) {
      if (named.contains(info.backup_id)) continue;
      absl::Status deleted = util::FromRocks((*engine)->DeleteBackup(info.backup_id),
                                             absl::StrCat("deleting the unfinished backup ",
                                                          info.backup_id, " of the ", store));
      if (!deleted.ok()) return deleted;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint32_t>> BackupDirectory::Purge(uint32_t keep) {
  absl::StatusOr<std::vector<ListedBackup>> backups = List();
  if (!backups.ok()) return backups.status();
  std::vector<uint32_t> deleted;
  if (backups->size() <= keep) return deleted;
  absl::StatusOr<rocksdb::BackupEngine*> ledger = Writer(kLedgerStore);
  if (!ledger.ok()) return ledger.status();
  // The ledger's backups first: a purge interrupted after them leaves
  // parts no backup names, which the next backup or purge deletes.
  for (size_t i = 0; i + keep < backups->size(); ++i) {
    const uint32_t backup_id = (*backups)[i].info.backup_id;
    absl::Status status = util::FromRocks((*ledger)->DeleteBackup(backup_id),
                                          absl::StrCat("deleting backup ", backup_id));
    if (!status.ok()) return status;
    deleted.push_back(backup_id);
  }
  absl::Status removed = RemoveUnnamedParts();
  if (!removed.ok()) return removed;
  return deleted;
}

absl::StatusOr<std::vector<ListedBackup>> BackupDirectory::List() {
  std::vector<ListedBackup> listed;
  std::error_code error;
  if (!fs::is_directory(fs::path(path_) / kLedgerStore, error)) return listed;  // none taken yet
  absl::StatusOr<rocksdb::BackupEngineReadOnlyBase*> ledger = Reader(kLedgerStore);
  if (!ledger.ok()) return ledger.status();
  // RocksDB leaves out of GetBackupInfo a backup it could not read when it
  // opened the directory (a file missing, its record damaged): a damaged
  // backup must not pass for none, or an older one for the latest.
  std::vector<rocksdb::BackupID> corrupted;
  (*ledger)->GetCorruptedBackups(&corrupted);
  if (!corrupted.empty()) {
    return absl::DataLossError(absl::StrCat(
        "backup ", absl::StrJoin(corrupted, ", "), " in ", path_,
        " is damaged: the ledger's backup cannot be read (a file missing or its record "
        "damaged); nothing was restored or verified"));
  }
  std::vector<rocksdb::BackupInfo> infos;
  (*ledger)->GetBackupInfo(&infos);
  for (const rocksdb::BackupInfo& info : infos) {
    absl::StatusOr<BackupMetadata> metadata = DecodeMetadata(info.app_metadata);
    if (!metadata.ok()) {
      return absl::DataLossError(
          absl::StrCat("backup ", info.backup_id, " in ", path_, ": ", metadata.status().message()));
    }
    ListedBackup backup;
    backup.info.backup_id = info.backup_id;
    backup.info.created_at_us = metadata->created_at_us;
    backup.info.head = metadata->head;
    backup.info.stores.push_back(kLedgerStore);
    backup.info.size_bytes = info.size;
    backup.info.file_count = info.number_files;
    for (const auto& [store, part_id] : metadata->parts) {
      backup.info.stores.push_back(store);
      absl::StatusOr<rocksdb::BackupEngineReadOnlyBase*> engine = Reader(store);
      if (!engine.ok()) return engine.status();
      rocksdb::BackupInfo part;
      absl::Status found = util::FromRocks((*engine)->GetBackupInfo(part_id, &part),
                                           absl::StrCat("backup ", info.backup_id, ": the ", store,
                                                        "'s backup ", part_id));
      if (!found.ok()) return absl::DataLossError(found.message());
      backup.info.size_bytes += part.size;
      backup.info.file_count += part.number_files;
    }
    backup.metadata = std::move(*metadata);
    listed.push_back(std::move(backup));
  }
  std::sort(listed.begin(), listed.end(), [](const ListedBackup& a, const ListedBackup& b) {
    return a.info.backup_id < b.info.backup_id;
  });
  return listed;
}

absl::StatusOr<ListedBackup> BackupDirectory::Find(uint32_t backup_id) {
  absl::StatusOr<std::vector<ListedBackup>> backups = List();
  if (!backups.ok()) return backups.status();
  if (backups->empty()) return absl::NotFoundError(absl::StrCat("no backups in ", path_));
  if (backup_id == 0) return backups->back();
  std::vector<uint32_t> ids;
  for (const ListedBackup& backup : *backups) {
    if (backup.info.backup_id == backup_id) return backup;
    ids.push_back(backup.info.backup_id);
  }
  return absl::NotFoundError(absl::StrCat("no backup ", backup_id, " in ", path_,
                                          " (there are: ", absl::StrJoin(ids, ", "), ")"));
}

absl::Status BackupDirectory::Verify(const ListedBackup& backup) {
  for (const auto& [store, part_id] : PartsOf(backup)) {
    absl::StatusOr<rocksdb::BackupEngineReadOnlyBase*> engine = Reader(store);
    if (!engine.ok()) return engine.status();
    const rocksdb::IOStatus verified = (*engine)->VerifyBackup(part_id, /*verify_with_checksum=*/true);
    if (!verified.ok()) {
      // Whatever RocksDB found (a checksum or size that differs, a file
      // gone), the backup no longer holds what was copied.
      return absl::DataLossError(absl::StrCat("backup ", backup.info.backup_id, " in ", path_,
                                              ": the ", store, " (its backup ", part_id,
                                              ") is damaged: ", verified.ToString()));
    }
  }
  return absl::OkStatus();
}

absl::Status BackupDirectory::Restore(const ListedBackup& backup, const std::string& directory) {
  for (const auto& [store, part_id] : PartsOf(backup)) {
    absl::StatusOr<rocksdb::BackupEngineReadOnlyBase*> engine = Reader(store);
    if (!engine.ok()) return engine.status();
    const std::string target =
        store == kLedgerStore ? directory : (fs::path(directory) / store).string();
    const rocksdb::IOStatus restored =
        (*engine)->RestoreDBFromBackup(rocksdb::RestoreOptions(), part_id, target, target);
    if (!restored.ok()) {
      // RocksDB returns at the first file that fails while its threads may
      // still be copying others; closing the engines waits for them, so
      // that the caller can delete what was restored.
      readers_.clear();
      writers_.clear();
      const std::string message = absl::StrCat("restoring backup ", backup.info.backup_id, " from ",
                                               path_, ": the ", store, " (its backup ", part_id,
                                               "): ", restored.ToString());
      // A file that fails its checksum while being copied back is damage.
      if (restored.IsCorruption()) return absl::DataLossError(message);
      return util::FromRocks(restored, absl::StrCat("restoring backup ", backup.info.backup_id,
                                                    " from ", path_, ": the ", store));
    }
  }
  return absl::OkStatus();
}

uint64_t BackupDirectory::SizeBytes() const {
  uint64_t bytes = 0;
  std::error_code error;
  for (fs::recursive_directory_iterator it(path_, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code size_error;
    if (it->is_regular_file(size_error)) {
      const uintmax_t size = it->file_size(size_error);
      if (!size_error) bytes += size;
    }
  }
  return bytes;
}

}  // namespace loyalty::backup
