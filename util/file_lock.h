// An flock(2) on one file, held while the FileLock lives: a process that
// dies holding it holds nothing, so a kill -9 never leaves a stale lock.
#ifndef LOYALTY_UTIL_FILE_LOCK_H_
#define LOYALTY_UTIL_FILE_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace loyalty::util {

class FileLock {
 public:
  // Creates `path` if missing and locks it exclusively. Unavailable when
  // another holder has it; Internal, naming the file, for a file error.
  static absl::StatusOr<std::unique_ptr<FileLock>> Exclusive(const std::string& path);
  // Locks `path` shared when it exists; creates nothing (a reader writes
  // nothing): a missing file is no lock and no error. Unavailable when an
  // exclusive holder has it.
  static absl::StatusOr<std::unique_ptr<FileLock>> SharedIfExists(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace loyalty::util

#endif  // LOYALTY_UTIL_FILE_LOCK_H_
