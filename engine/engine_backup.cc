// EngineImpl::Backup: the stores caught at one moment, then copied into the
// backup directory with the engine serving commands (loyalty/backup.h).
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "backup/backup_directory.h"
#include "backup/backup_metadata.h"
#include "engine/engine_impl.h"
#include "ledger/rocksdb_ledger.h"
#include "util/db_directory.h"
#include "util/metrics.h"
#include "util/rocks_checkpoint.h"

namespace loyalty::internal {
namespace {

namespace fs = std::filesystem;

// The staging directory, deleted when the backup is done or fails: it holds
// only the copies this backup made.
class Staging {
 public:
  explicit Staging(std::string path) : path_(std::move(path)) {}
  ~Staging() {
    std::error_code ignored;
    if (made_) fs::remove_all(path_, ignored);
  }
  // Makes the directory, after deleting what an interrupted backup left
  // there (told to `notice`).
  absl::Status Make(const NoticeSink& notice) {
    std::error_code error;
    if (fs::exists(path_, error)) {
      notice(absl::StrCat("deleting ", path_, ", the copies an interrupted backup left"));
      fs::remove_all(path_, error);
      if (error) return absl::InternalError(absl::StrCat("deleting ", path_, ": ", error.message()));
    }
    fs::create_directory(path_, error);
    if (error) return absl::InternalError(absl::StrCat("creating ", path_, ": ", error.message()));
    made_ = true;
    return absl::OkStatus();
  }
  std::string Of(absl::string_view store) const {
    return (fs::path(path_) / std::string(store)).string();
  }

 private:
  const std::string path_;
  bool made_ = false;
};

// The audit store, when the ledger has one, copied into `staged`. The
// engine does not hold it open: it is opened here, which fails while an
// audit command has it.
absl::StatusOr<bool> CopyAuditStore(const std::string& path, const std::string& staged) {
  absl::StatusOr<util::DbDirectory> found = util::InspectDbDirectory(path);
  if (!found.ok()) return found.status();
  if (found->kind == util::DbDirectoryKind::kMissing) return false;
  absl::StatusOr<std::unique_ptr<rocksdb::DB>> db =
      util::OpenDatabaseAsItIs(path, "the audit store");
  if (!db.ok()) return db.status();
  absl::Status copied = util::CreateRocksCheckpoint(**db, staged, "the audit store");
  if (!copied.ok()) return copied;
  return true;
}

}  // namespace

absl::StatusOr<BackupInfo> EngineImpl::Backup(const std::string& backup_directory) {
  if (absl::Status writable = CheckWritable(); !writable.ok()) return writable;
  auto* const rocks = dynamic_cast<RocksDbLedger*>(ledger_.get());
  if (rocks == nullptr) {
    return absl::UnimplementedError(
        "Backup copies a ledger on RocksDB; a ledger on PostgreSQL is backed up with PostgreSQL's "
        "own tools (docs/replication.md)");
  }
  absl::StatusOr<std::unique_ptr<backup::BackupDirectory>> target =
      backup::BackupDirectory::OpenForWriting(backup_directory, /*create=*/true);
  if (!target.ok()) return target.status();
  Staging staging(StorePath(directory_, kBackupStagingDirectory));
  if (absl::Status made = staging.Make(notice_); !made.ok()) return made;

  // One moment for every store: the projections are saved and no command
  // runs (mu_), no append is written (HoldAppends); then each is copied.
  backup::BackupMetadata metadata;
  std::vector<std::string> stores;
  int64_t appends_held_us = 0;
  {
    MutexLock lock(&mu_);
    absl::Status status = CatchUp();
    if (status.ok() && applied_ != saved_) status = SaveCheckpoint();
    const util::Stopwatch held;
    if (status.ok()) {
      status = rocks->HoldAppends([&](const ChainHead& head) {
        mu_.AssertHeld();
        metadata.head = head;
        metadata.created_at_us = clock_->NowMicros();
        absl::Status copied = rocks->CopyTo(staging.Of(backup::kLedgerStore));
        if (copied.ok() && personal_->keys().store() != nullptr) {
          copied = personal_->keys().store()->CopyTo(staging.Of(kMemberKeysDirectory));
          stores.push_back(kMemberKeysDirectory);
        }
        if (copied.ok()) {
          copied = store_->CopyTo(staging.Of(kProjectionsDirectory));
          stores.push_back(kProjectionsDirectory);
        }
        if (!copied.ok()) return copied;
        absl::StatusOr<bool> audit =
            CopyAuditStore(StorePath(directory_, kAuditDirectory), staging.Of(kAuditDirectory));
        if (!audit.ok()) return audit.status();
        if (*audit) stores.push_back(kAuditDirectory);
        return absl::OkStatus();
      });
    }
    if (!status.ok()) return status;
    appends_held_us = held.ElapsedMicros();
  }

  // The ledger's backup last: its metadata names the others, so a backup
  // interrupted before it is never listed (and its parts are deleted now,
  // by the next one).
  const uint64_t bytes_before = (*target)->SizeBytes();
  if (absl::Status removed = (*target)->RemoveUnnamedParts(); !removed.ok()) return removed;
  for (const std::string& store : stores) {
    absl::StatusOr<uint32_t> part = (*target)->Add(store, staging.Of(store), "");
    if (!part.ok()) return part.status();
    metadata.parts.emplace_back(store, *part);
  }
  absl::StatusOr<uint32_t> backup_id = (*target)->Add(
      backup::kLedgerStore, staging.Of(backup::kLedgerStore), backup::EncodeMetadata(metadata));
  if (!backup_id.ok()) return backup_id.status();
  absl::StatusOr<backup::ListedBackup> listed = (*target)->Find(*backup_id);
  if (!listed.ok()) return listed.status();
  const uint64_t bytes_after = (*target)->SizeBytes();
  listed->info.copied_bytes = bytes_after > bytes_before ? bytes_after - bytes_before : 0;
  listed->info.appends_held_us = appends_held_us;
  return listed->info;
}

}  // namespace loyalty::internal
