// Backups of a ledger: consistent, incremental copies of the log and the
// stores beside it, taken while the engine serves writes
// (Engine::Backup), listed, verified and restored into a new directory.
//
// A backup directory holds one RocksDB BackupEngine per store, and a file
// FORMAT ("loyalty-backup/1") that marks it as one:
//   BACKUP/ledger        the log
//   BACKUP/member-keys   the members' data keys, wrapped by the master key
//   BACKUP/projections   the projections' checkpoint (derived data: it saves
//                        the restored engine a replay of the whole log)
//   BACKUP/audit         the audit store, when the ledger has one (its signed
//                        checkpoints cannot be made again without the signer)
// Backup N is the ledger's backup N; its metadata names the head it holds
// and the other stores' backups taken with it, and is written last, so a
// backup that was interrupted is never listed. Table files are shared
// between backups by checksum and size: each backup copies only what is new
// since the earlier ones.
//
// The master key is never in a backup, and no backup can be read without
// it: keep it apart from the backups (docs/privacy.md, "Keys").
//
// A backup directory is used by one process at a time: a second backup,
// verify or restore of the same directory gets Unavailable.
#ifndef LOYALTY_BACKUP_H_
#define LOYALTY_BACKUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loyalty/ledger.h"

namespace loyalty {

struct BackupInfo {
  // The backup's number in its directory, from 1.
  uint32_t backup_id = 0;
  // When the stores were caught, by the engine's clock.
  int64_t created_at_us = 0;
  // The log the backup holds: exactly sequences 1..head.sequence, every
  // append acknowledged before Engine::Backup was called and none that was
  // still waiting when the stores were caught.
  ChainHead head;
  // The stores it holds, in the order above ("ledger", "member-keys",
  // "projections", "audit").
  std::vector<std::string> stores;
  // The files the backup is made of, shared ones included.
  uint64_t size_bytes = 0;
  uint32_t file_count = 0;
  // What taking it added to the backup directory, and how long appends
  // waited while the stores were caught, by this process's steady clock
  // (Engine::Backup only; 0 when listed).
  uint64_t copied_bytes = 0;
  int64_t appends_held_us = 0;
};

// The backups in `backup_directory`, oldest first. NotFound when it holds
// no backup directory; DataLoss when a backup's metadata does not read.
absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& backup_directory);

// Checks every file of backup `backup_id` (0: every backup) against the
// size and checksum recorded when it was copied, in every store, and
// returns the backups checked, oldest first. DataLoss naming the backup, the
// store and RocksDB's finding (the file) on the first mismatch; NotFound for
// a backup that is not there.
absl::StatusOr<std::vector<BackupInfo>> VerifyBackup(const std::string& backup_directory,
                                                     uint32_t backup_id);

// Restores backup `backup_id` (0: the latest) into `ledger_directory`, which
// must not exist or be empty: the stores are restored into a temporary
// directory beside it, checked, and renamed into place, so a failure leaves
// no ledger there. The check is `loyalty verify`'s: the restored log's whole
// chain recomputed, and its head equal to the backup's. Returns the backup
// restored. Errors, with nothing left in `ledger_directory`:
//  FailedPrecondition: `ledger_directory` holds files.
//  NotFound: no such backup (the message lists those there).
//  DataLoss: a file of the backup fails its checksum, or the restored log
//    does not verify.
// Open the restored ledger with the master key the backup was taken under.
absl::StatusOr<BackupInfo> RestoreBackup(const std::string& backup_directory, uint32_t backup_id,
                                         const std::string& ledger_directory);

// Deletes every backup but the newest `keep` from `backup_directory`, with
// the files only they use; returns the ids deleted, oldest first. What
// bounds how long an erased member's key survives in backups
// (docs/privacy.md, "Backups"). InvalidArgument for keep 0; NotFound when
// it holds no backup directory.
absl::StatusOr<std::vector<uint32_t>> PurgeBackups(const std::string& backup_directory,
                                                   uint32_t keep);

}  // namespace loyalty

#endif  // LOYALTY_BACKUP_H_
