// The public functions of loyalty/backup.h that need no engine: listing,
// verifying and restoring. Taking a backup is Engine::Backup
// (engine/engine_backup.cc), which catches the stores at one moment.
#include "loyalty/backup.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "backup/backup_directory.h"
#include "util/db_directory.h"

namespace loyalty {

absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& backup_directory) {
  absl::StatusOr<std::unique_ptr<backup::BackupDirectory>> directory =
      backup::BackupDirectory::OpenForReading(backup_directory);
  if (!directory.ok()) return directory.status();
  absl::StatusOr<std::vector<backup::ListedBackup>> listed = (*directory)->List();
  if (!listed.ok()) return listed.status();
  std::vector<BackupInfo> infos;
  for (backup::ListedBackup& backup : *listed) infos.push_back(std::move(backup.info));
  return infos;
}

absl::StatusOr<std::vector<BackupInfo>> VerifyBackup(const std::string& backup_directory,
                                                     uint32_t backup_id) {
  absl::StatusOr<std::unique_ptr<backup::BackupDirectory>> directory =
      backup::BackupDirectory::OpenForReading(backup_directory);
  if (!directory.ok()) return directory.status();
  std::vector<backup::ListedBackup> backups;
  if (backup_id == 0) {
    absl::StatusOr<std::vector<backup::ListedBackup>> listed = (*directory)->List();
    if (!listed.ok()) return listed.status();
    if (listed->empty()) return absl::NotFoundError(absl::StrCat("no backups in ", backup_directory));
    backups = std::move(*listed);
  } else {
    absl::StatusOr<backup::ListedBackup> found = (*directory)->Find(backup_id);
    if (!found.ok()) return found.status();
    backups.push_back(std::move(*found));
  }
  std::vector<BackupInfo> verified;
  for (backup::ListedBackup& backup : backups) {
    absl::Status status = (*directory)->Verify(backup);
    if (!status.ok()) return status;
    verified.push_back(std::move(backup.info));
  }
  return verified;
}

absl::StatusOr<std::vector<uint32_t>> PurgeBackups(const std::string& backup_directory,
                                                   uint32_t keep) {
  if (keep == 0) {
    return absl::InvalidArgumentError(
        "keep: 0 would delete every backup; keep at least 1 (or delete the directory)");
  }
  absl::StatusOr<std::unique_ptr<backup::BackupDirectory>> directory =
      backup::BackupDirectory::OpenForWriting(backup_directory, /*create=*/false);
  if (!directory.ok()) return directory.status();
  return (*directory)->Purge(keep);
}

namespace {

// What `loyalty verify` checks, on the restored ledger in `directory`: the
// whole chain, and a head equal to the one the backup recorded.
absl::Status CheckRestoredLedger(const std::string& directory, const BackupInfo& backup) {
  LedgerOptions options;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(directory, options);
  if (!ledger.ok()) return ledger.status();
  const ChainHead head = (*ledger)->Head();
  if (head.sequence != backup.head.sequence || head.hash != backup.head.hash) {
    return absl::DataLossError(absl::StrCat(
        "the restored log ends at sequence ", head.sequence, " (", HashHex(head.hash),
        ") but backup ", backup.backup_id, " recorded sequence ", backup.head.sequence, " (",
        HashHex(backup.head.hash), ")"));
  }
  if (head.sequence == 0) return absl::OkStatus();
  return (*ledger)->Verify(1, head.sequence);
}

}  // namespace

absl::StatusOr<BackupInfo> RestoreBackup(const std::string& backup_directory, uint32_t backup_id,
                                         const std::string& ledger_directory) {
  absl::StatusOr<std::unique_ptr<backup::BackupDirectory>> directory =
      backup::BackupDirectory::OpenForReading(backup_directory);
  if (!directory.ok()) return directory.status();
  absl::StatusOr<backup::ListedBackup> backup = (*directory)->Find(backup_id);
  if (!backup.ok()) return backup.status();
  // Only into a new or empty directory: CreateDbDirectoryAtomically refuses
  // any other, naming what it holds, before anything is written.
  absl::Status restored =
      util::CreateDbDirectoryAtomically(ledger_directory, [&](const std::string& path) {
        absl::Status status = (*directory)->Restore(*backup, path);
        if (status.ok()) status = CheckRestoredLedger(path, backup->info);
        return status;
      });
  if (!restored.ok()) return restored;
  return backup->info;
}

}  // namespace loyalty
