// The public master-key helpers of include/loyalty/privacy.h.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "loyalty/privacy.h"
#include "privacy/aead.h"

namespace loyalty {

MasterKeySource MasterKeyFromBytes(std::string key_bytes) {
  return [key = std::move(key_bytes)]() -> absl::StatusOr<std::string> { return key; };
}

MasterKeySource MasterKeyFromFile(std::string path, MasterKeyFileOptions options) {
  return [path = std::move(path), options]() { return ReadMasterKeyFile(path, options); };
}

absl::StatusOr<std::string> ReadMasterKeyFile(const std::string& path,
                                              const MasterKeyFileOptions& options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(absl::StrCat("master key file ", path,
                                            ": cannot be read: ", std::strerror(errno)));
  }
  // The mode of the file opened, not of whatever the path names later.
  struct stat status;
  if (::fstat(fd, &status) != 0) {
    const int error_number = errno;
    ::close(fd);
    return absl::NotFoundError(absl::StrCat("master key file ", path,
                                            ": cannot be read: ", std::strerror(error_number)));
  }
  const mode_t open_bits = status.st_mode & (S_IRWXG | S_IRWXO);
  if (open_bits != 0 && !options.allow_group_or_other_access) {
    ::close(fd);
    return absl::PermissionDeniedError(absl::StrFormat(
        "master key file %s: mode %04o lets its group or others access it; run `chmod 600 %s`",
        path, status.st_mode & 07777, path));
  }
  // A key file is 65 bytes; reading a little more tells a longer one apart.
  std::string text;
  char buffer[4096];
  ssize_t read = 0;
  while ((read = ::read(fd, buffer, sizeof(buffer))) > 0 && text.size() < 1024) {
    text.append(buffer, static_cast<size_t>(read));
  }
  const int error_number = errno;
  ::close(fd);
  if (read < 0) {
    return absl::NotFoundError(absl::StrCat("master key file ", path,
                                            ": cannot be read: ", std::strerror(error_number)));
  }
  absl::string_view digits = text;
  absl::ConsumeSuffix(&digits, "\n");
  const bool hex = digits.size() == 2 * kMasterKeyBytes &&
                   digits.find_first_not_of("0123456789abcdefABCDEF") == absl::string_view::npos;
  if (!hex) {
    return absl::InvalidArgumentError(absl::StrCat(
        "master key file ", path, ": expected ", 2 * kMasterKeyBytes,
        " hexadecimal digits and an optional newline, found ",
        std::max<int64_t>(status.st_size, static_cast<int64_t>(text.size())), " bytes"));
  }
  return absl::HexStringToBytes(digits);
}

std::string DefaultMasterKeyPath(const std::string& directory) {
  std::string path = directory;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path + ".key";
}

absl::StatusOr<std::string> CreateMasterKeyFile(const std::string& path) {
  absl::StatusOr<std::string> key = privacy::RandomBytes(kMasterKeyBytes);
  if (!key.ok()) return key.status();
  // O_EXCL: never replace a key, which would make every sealed field
  // unreadable.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat("master key file ", path, " already exists"));
    }
    return absl::InternalError(
        absl::StrCat("master key file ", path, ": cannot create: ", std::strerror(errno)));
  }
  const std::string text = absl::StrCat(absl::BytesToHexString(*key), "\n");
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    return absl::InternalError(absl::StrCat("master key file ", path, ": cannot write"));
  }
  return key;
}

}  // namespace loyalty
