#include "util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace loyalty::util {
namespace {

absl::Status FileError(absl::string_view what, const std::string& path, int error) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(error)));
}

// Takes `operation` on `fd` without waiting; closes `fd` when it fails.
absl::Status LockOrClose(const std::string& path, int fd, int operation) {
  if (::flock(fd, operation | LOCK_NB) == 0) return absl::OkStatus();
  const int error = errno;
  ::close(fd);
  if (error == EWOULDBLOCK) return absl::UnavailableError(absl::StrCat(path, " is locked"));
  return FileError("locking", path, error);
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileLock>> FileLock::Exclusive(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return FileError("opening", path, errno);
  absl::Status locked = LockOrClose(path, fd, LOCK_EX);
  if (!locked.ok()) return locked;
  return std::unique_ptr<FileLock>(new FileLock(fd));
}

absl::StatusOr<std::unique_ptr<FileLock>> FileLock::SharedIfExists(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::unique_ptr<FileLock>();
    return FileError("opening", path, errno);
  }
  absl::Status locked = LockOrClose(path, fd, LOCK_SH);
  if (!locked.ok()) return locked;
  return std::unique_ptr<FileLock>(new FileLock(fd));
}

FileLock::~FileLock() { ::close(fd_); }

}  // namespace loyalty::util
