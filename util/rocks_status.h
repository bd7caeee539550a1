// RocksDB's status as an absl::Status: one mapping for every store on
// RocksDB (the log, the projections, the member keys, the audit store), so
// that a kind of storage failure reads the same whichever store met it.
#ifndef LOYALTY_UTIL_ROCKS_STATUS_H_
#define LOYALTY_UTIL_ROCKS_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rocksdb {
class Status;
}

namespace loyalty::util {

// `status` with `what` (what was being done, e.g. "reading the head") and
// RocksDB's own message, "WHAT: MESSAGE":
//   ok                                  OK
//   NotFound                            NotFound
//   Corruption                          DataLoss (a file fails its checks)
//   InvalidArgument                     InvalidArgument
//   NoSpace, Busy, TimedOut, TryAgain   Unavailable (may pass: retry later)
//   anything else (IOError, ...)        Internal
// A store whose NotFound means lost data says so before calling this
// (ledger/read_status.h).
absl::Status FromRocks(const rocksdb::Status& status, absl::string_view what);

}  // namespace loyalty::util

#endif  // LOYALTY_UTIL_ROCKS_STATUS_H_
