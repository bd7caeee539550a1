// The metadata a backup's ledger part carries (RocksDB's app metadata): the
// head it holds, when it was taken, and the other stores' backups that go
// with it. One "name value" line each, after the format line:
//   loyalty-backup/1
//   created_at_us 1717200000000000
//   head_sequence 53054
//   head_hash 6704d635...(64 hex digits)
//   head_recorded_at_us 1717200000000000
//   member-keys 3
//   projections 3
//   audit 2            (only when the ledger had an audit store)
#ifndef LOYALTY_BACKUP_BACKUP_METADATA_H_
#define LOYALTY_BACKUP_BACKUP_METADATA_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/ledger.h"

namespace loyalty::backup {

inline constexpr char kMetadataFormat[] = "loyalty-backup/1";

// The stores of a backup, in the order they are listed and restored; the
// ledger's is the one whose backup ids name the backups.
inline constexpr char kLedgerStore[] = "ledger";
inline constexpr const char* kOtherStores[] = {"member-keys", "projections", "audit"};

struct BackupMetadata {
  int64_t created_at_us = 0;
  ChainHead head;
  // (store, its BackupEngine's backup id), in kOtherStores order.
  std::vector<std::pair<std::string, uint32_t>> parts;
};

std::string EncodeMetadata(const BackupMetadata& metadata);

// DataLoss naming the line and what is wrong with it.
absl::StatusOr<BackupMetadata> DecodeMetadata(absl::string_view text);

}  // namespace loyalty::backup

#endif  // LOYALTY_BACKUP_BACKUP_METADATA_H_
