// The public master-key helpers of include/loyalty/privacy.h.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
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

namespace {

// Where a key is written before it takes its name: ".NAME.creating-XXXXXX"
// beside it (mkstemp fills the X's).
struct KeyFilePlace {
  std::string directory;  // "." when the path has none
  std::string temporary_prefix;
};

KeyFilePlace PlaceOf(absl::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return {".", absl::StrCat(".", path, ".creating-")};
  const absl::string_view directory = slash == 0 ? absl::string_view("/") : path.substr(0, slash);
  return {std::string(directory), absl::StrCat(".", path.substr(slash + 1), ".creating-")};
}

// Removes what a creation of this key file killed before it finished left
// behind: files named by its own pattern, and only those.
void RemoveInterruptedCreations(const KeyFilePlace& place) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(place.directory, error)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, place.temporary_prefix) &&
        name.size() == place.temporary_prefix.size() + 6 && entry.is_regular_file(error)) {
      std::filesystem::remove(entry.path(), error);
    }
  }
}

// Makes the new name durable: without it a crash could lose the key file
// after the ledger sealed data with the key.
void SyncDirectory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

absl::StatusOr<std::string> CreateMasterKeyFile(const std::string& path) {
  absl::StatusOr<std::string> key = privacy::RandomBytes(kMasterKeyBytes);
  if (!key.ok()) return key.status();
  const auto cannot = [&path](absl::string_view what, int error_number) {
    return absl::InternalError(absl::StrCat("master key file ", path, ": cannot ", what, ": ",
                                            std::strerror(error_number)));
  };
  // The key is written and synced under a temporary name and then linked
  // to its own: a process killed at any moment leaves either no key file or
  // a whole one, never an empty or partial key (which no later run could
  // tell from a damaged one).
  const KeyFilePlace place = PlaceOf(path);
  RemoveInterruptedCreations(place);
  std::string temporary = absl::StrCat(place.directory, "/", place.temporary_prefix, "XXXXXX");
  const int fd = ::mkstemp(temporary.data());  // mode 0600
  if (fd < 0) return cannot("create", errno);
  const std::string text = absl::StrCat(absl::BytesToHexString(*key), "\n");
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  const int write_error = errno;
  ::close(fd);
  if (!written) {
    ::unlink(temporary.c_str());
    return cannot("write", write_error);
  }
  // link, unlike rename, never replaces a file that is there: a key is
  // never overwritten, which would make every sealed field unreadable.
  const int linked = ::link(temporary.c_str(), path.c_str());
  const int link_error = errno;
  ::unlink(temporary.c_str());
  if (linked != 0) {
    if (link_error == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat("master key file ", path, " already exists"));
    }
    return cannot("create", link_error);
  }
  SyncDirectory(place.directory);
  return key;
}

}  // namespace loyalty
