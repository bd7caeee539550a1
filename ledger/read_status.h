// RocksDB read errors as the ledger reports them: a read of what the log
// must hold (an event at or below the head, the head itself) that finds
// nothing is DataLoss; anything else is util::FromRocks's mapping.
#ifndef LOYALTY_LEDGER_READ_STATUS_H_
#define LOYALTY_LEDGER_READ_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "rocksdb/iterator.h"
#include "rocksdb/status.h"
#include "util/rocks_status.h"

namespace loyalty::internal {

inline absl::Status LogReadStatus(const rocksdb::Status& status, absl::string_view what) {
  if (status.IsNotFound()) return absl::DataLossError(absl::StrCat(what, ": ", status.ToString()));
  return util::FromRocks(status, what);
}

// A corrupt block met while iterating is damage (DataLoss, RocksDB's
// message names the file), like one met by a point read.
inline absl::Status IteratorError(const rocksdb::Iterator& iterator, absl::string_view what) {
  return LogReadStatus(iterator.status(), what);
}

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_READ_STATUS_H_
