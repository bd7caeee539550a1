// RocksDB read errors as the ledger reports them: what the log lost is
// DataLoss, anything else Internal.
#ifndef LOYALTY_LEDGER_READ_STATUS_H_
#define LOYALTY_LEDGER_READ_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "rocksdb/iterator.h"
#include "rocksdb/status.h"

namespace loyalty::internal {

inline absl::Status FromRocksStatus(const rocksdb::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  if (status.IsCorruption() || status.IsNotFound()) {
    return absl::DataLossError(absl::StrCat(what, ": ", status.ToString()));
  }
  return absl::InternalError(absl::StrCat(what, ": ", status.ToString()));
}

// A corrupt block met while iterating is damage (DataLoss, RocksDB's
// message names the file), like one met by a point read.
inline absl::Status IteratorError(const rocksdb::Iterator& iterator, absl::string_view what) {
  return FromRocksStatus(iterator.status(), what);
}

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_READ_STATUS_H_
