// Conversions between RocksDB's Slice and absl::string_view (Debian's
// Abseil has its own string_view type, distinct from std::string_view), for
// every store on RocksDB.
#ifndef LOYALTY_UTIL_ROCKS_UTIL_H_
#define LOYALTY_UTIL_ROCKS_UTIL_H_

#include "absl/strings/string_view.h"
#include "rocksdb/slice.h"

namespace loyalty::util {

inline absl::string_view View(const rocksdb::Slice& slice) {
  return absl::string_view(slice.data(), slice.size());
}

inline rocksdb::Slice ToSlice(absl::string_view view) {
  return rocksdb::Slice(view.data(), view.size());
}

}  // namespace loyalty::util

#endif  // LOYALTY_UTIL_ROCKS_UTIL_H_
