// The public master-key helpers of include/loyalty/privacy.h.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "loyalty/privacy.h"
#include "privacy/aead.h"

namespace loyalty {

MasterKeySource MasterKeyFromBytes(std::string key_bytes) {
  return [key = std::move(key_bytes)]() -> absl::StatusOr<std::string> { return key; };
}

MasterKeySource MasterKeyFromFile(std::string path) {
  return [path = std::move(path)]() { return ReadMasterKeyFile(path); };
}

absl::StatusOr<std::string> ReadMasterKeyFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("master key file ", path, ": cannot be read"));
  }
  std::ostringstream text_stream;
  text_stream << file.rdbuf();
  const std::string text = text_stream.str();
  absl::string_view digits = text;
  absl::ConsumeSuffix(&digits, "\n");
  const bool hex = digits.size() == 2 * kMasterKeyBytes &&
                   digits.find_first_not_of("0123456789abcdefABCDEF") == absl::string_view::npos;
  if (!hex) {
    return absl::InvalidArgumentError(absl::StrCat(
        "master key file ", path, ": expected ", 2 * kMasterKeyBytes,
        " hexadecimal digits and an optional newline, found ", text.size(), " bytes"));
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
