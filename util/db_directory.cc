#include "util/db_directory.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/transaction_log.h"

namespace loyalty::util {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kCreatingInfix = ".creating-";

bool HasSuffix(absl::string_view name, absl::string_view suffix) {
  return absl::EndsWith(name, suffix);
}

// Files that hold a database's data: losing its CURRENT does not make them
// worthless.
bool IsDataFileName(absl::string_view name) {
  return HasSuffix(name, ".sst") || HasSuffix(name, ".log") || HasSuffix(name, ".blob");
}

// What a failed open leaves behind without holding anything.
bool IsLeftoverOfFailedOpen(absl::string_view name) {
  return name == "LOCK" || name == "LOG" || absl::StartsWith(name, "LOG.old.");
}

absl::Status FileSystemError(absl::string_view what, const std::string& path,
                             const std::error_code& error) {
  const std::string message = absl::StrCat(what, " ", path, ": ", error.message());
  if (error == std::errc::permission_denied || error == std::errc::operation_not_permitted) {
    return absl::PermissionDeniedError(message);
  }
  return absl::InternalError(message);
}

absl::Status SyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return FileSystemError("opening", path, std::error_code(errno, std::generic_category()));
  }
  const int synced = ::fsync(fd);
  const int sync_errno = errno;
  ::close(fd);
  if (synced != 0) {
    return FileSystemError("syncing", path, std::error_code(sync_errno, std::generic_category()));
  }
  return absl::OkStatus();
}

// Syncs every file under `directory` and the directories themselves, so a
// rename of `directory` publishes complete contents.
absl::Status SyncTree(const std::string& directory) {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(directory, error)) {
    const bool is_directory = entry.is_directory(error);
    if (error) return FileSystemError("reading", entry.path().string(), error);
    absl::Status synced = SyncPath(entry.path().string(), is_directory);
    if (!synced.ok()) return synced;
  }
  if (error) return FileSystemError("reading", directory, error);
  return SyncPath(directory, /*directory=*/true);
}

// Removes temporary directories that earlier creations of `path` left when
// they were killed: only those named as CreateDbDirectoryAtomically names
// them and holding nothing but what a database creation writes.
void RemoveLeftoverCreations(const fs::path& path) {
  const std::string prefix = absl::StrCat(".", path.filename().string(), kCreatingInfix);
  std::error_code error;
  const fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  for (const fs::directory_entry& entry : fs::directory_iterator(parent, error)) {
    const std::string name = entry.path().filename().string();
    if (!absl::StartsWith(name, prefix) || !entry.is_directory(error)) continue;
    absl::StatusOr<DbDirectory> found = InspectDbDirectory(entry.path().string(), {});
    if (!found.ok() || !found->other_entries.empty()) continue;
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
  }
}

class NullLogger final : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
};

}  // namespace

bool IsRocksDbFileName(absl::string_view name) {
  return name == "CURRENT" || name == "IDENTITY" || IsLeftoverOfFailedOpen(name) ||
         absl::StartsWith(name, "MANIFEST-") || absl::StartsWith(name, "OPTIONS-") ||
         IsDataFileName(name) || HasSuffix(name, ".dbtmp");
}

absl::StatusOr<DbDirectory> InspectDbDirectory(const std::string& path,
                                               absl::Span<const absl::string_view> companions) {
  DbDirectory found;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    found.kind = DbDirectoryKind::kMissing;
    return found;
  }
  if (!fs::is_directory(status)) {
    found.kind = DbDirectoryKind::kNotADirectory;
    return found;
  }
  bool has_current = false;
  bool current_is_empty = false;
  bool has_data = false;
  bool has_metadata = false;
  for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) {
    const std::string name = entry.path().filename().string();
    if (std::find(companions.begin(), companions.end(), name) != companions.end()) continue;
    if (!IsRocksDbFileName(name)) {
      found.other_entries.push_back(name);
      continue;
    }
    found.database_files.push_back(name);
    if (IsLeftoverOfFailedOpen(name)) continue;
    std::error_code size_error;
    const uintmax_t size = entry.file_size(size_error);
    if (name == "CURRENT") {
      has_current = true;
      current_is_empty = size_error || size == 0;
    } else if (IsDataFileName(name) && !size_error && size > 0) {
      has_data = true;
    } else {
      has_metadata = true;
    }
  }
  if (error) return FileSystemError("listing", path, error);
  std::sort(found.database_files.begin(), found.database_files.end());
  std::sort(found.other_entries.begin(), found.other_entries.end());
  if (has_current && !current_is_empty) {
    found.kind = DbDirectoryKind::kDatabase;
  } else if (has_data || (has_current && has_metadata)) {
    found.kind = DbDirectoryKind::kDamaged;
  } else if (!found.other_entries.empty()) {
    found.kind = DbDirectoryKind::kForeign;
  } else if (has_metadata || has_current) {
    found.kind = DbDirectoryKind::kInterruptedCreation;
  } else {
    found.kind = DbDirectoryKind::kEmpty;
  }
  return found;
}

std::string NamesForMessage(absl::Span<const std::string> names, size_t max_names) {
  std::vector<std::string> quoted;
  for (size_t i = 0; i < names.size() && i < max_names; ++i) {
    quoted.push_back(absl::StrCat("\"", names[i], "\""));
  }
  std::string text = absl::StrJoin(quoted, ", ");
  if (names.size() > max_names) absl::StrAppend(&text, " and ", names.size() - max_names, " more");
  return text;
}

absl::Status CreateDbDirectoryAtomically(
    const std::string& path, const std::function<absl::Status(const std::string&)>& fill) {
  absl::StatusOr<DbDirectory> found = InspectDbDirectory(path);
  if (!found.ok()) return found.status();
  if (found->kind != DbDirectoryKind::kMissing && found->kind != DbDirectoryKind::kEmpty &&
      found->kind != DbDirectoryKind::kInterruptedCreation) {
    std::vector<std::string> names = found->database_files;
    names.insert(names.end(), found->other_entries.begin(), found->other_entries.end());
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create a store in ", path, ": it holds files already (",
                     NamesForMessage(names), "); nothing was changed"));
  }
  const fs::path target = fs::path(path).lexically_normal();
  const fs::path name = target.filename().empty() ? target.parent_path().filename()
                                                  : target.filename();
  const fs::path clean = target.filename().empty() ? target.parent_path() : target;
  const fs::path parent = clean.parent_path().empty() ? fs::path(".") : clean.parent_path();
  std::error_code error;
  if (!fs::exists(parent, error)) {
    fs::create_directories(parent, error);
    if (error) return FileSystemError("creating", parent.string(), error);
  }
  RemoveLeftoverCreations(clean);
  if (fs::exists(clean, error) && !fs::is_empty(clean, error)) {
    // Only what a failed open or an interrupted creation left (the caller
    // checked): rename cannot replace it, and creating in place loses
    // nothing.
    return fill(clean.string());
  }
  std::string temporary =
      (parent / absl::StrCat(".", name.string(), kCreatingInfix, "XXXXXX")).string();
  if (::mkdtemp(temporary.data()) == nullptr) {
    // No room for a sibling (a parent this user may not write): create in
    // place, where the next open finishes an interrupted creation.
    if (!fs::exists(clean, error)) {
      fs::create_directory(clean, error);
      if (error) return FileSystemError("creating", clean.string(), error);
    }
    return fill(clean.string());
  }
  absl::Status filled = fill(temporary);
  if (filled.ok()) filled = SyncTree(temporary);
  if (!filled.ok()) {
    std::error_code ignored;
    fs::remove_all(temporary, ignored);
    return filled;
  }
  if (::rename(temporary.c_str(), clean.c_str()) != 0) {
    const int rename_errno = errno;
    std::error_code ignored;
    fs::remove_all(temporary, ignored);
    if (rename_errno == ENOTEMPTY || rename_errno == EEXIST) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot create a ledger store in ", clean.string(), ": the directory is not empty"));
    }
    // An empty directory that is a mount point, or one on another file
    // system: create in place.
    return fill(clean.string());
  }
  return SyncPath(parent.string(), /*directory=*/true);
}

absl::StatusOr<std::string> SetDirectoryAside(const std::string& path) {
  const std::string base = absl::StrCat(fs::path(path).lexically_normal().string(), ".damaged");
  std::string aside = base;
  std::error_code error;
  for (int n = 2; fs::exists(aside, error); ++n) aside = absl::StrCat(base, "-", n);
  fs::rename(path, aside, error);
  if (error) return FileSystemError(absl::StrCat("setting aside (renaming to ", aside, ")"), path, error);
  return aside;
}

absl::Status CheckDatabaseExists(const std::string& path, absl::string_view what) {
  absl::StatusOr<DbDirectory> found = InspectDbDirectory(path);
  if (!found.ok()) return found.status();
  if (found->kind == DbDirectoryKind::kDatabase) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("no ", what, " in ", path));
}

void RemoveEmptyEarlierWals(rocksdb::DB& db) {
  // RocksDB's own listing (GetSortedWalFiles) leaves empty logs out, so the
  // directory is listed here; the log being written is the newest.
  std::unique_ptr<rocksdb::LogFile> current;
  if (!db.GetCurrentWalFile(&current).ok() || current == nullptr) return;
  const std::string directory = db.GetOptions().wal_dir.empty() ? db.GetName()
                                                                : db.GetOptions().wal_dir;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    uint64_t number = 0;
    if (!absl::EndsWith(name, ".log") ||
        !absl::SimpleAtoi(absl::string_view(name).substr(0, name.size() - 4), &number) ||
        number >= current->LogNumber()) {
      continue;
    }
    std::error_code ignored;
    if (entry.file_size(ignored) == 0 && !ignored) fs::remove(entry.path(), ignored);
  }
}

void FlushBeforeClose(rocksdb::DB& db,
                      const std::vector<rocksdb::ColumnFamilyHandle*>& families) {
  rocksdb::FlushOptions flush;
  flush.wait = true;
  if (families.empty()) {
    (void)db.Flush(flush);
  } else {
    (void)db.Flush(flush, families);
  }
}

std::shared_ptr<rocksdb::Logger> NullRocksDbLogger() { return std::make_shared<NullLogger>(); }

void SetReadOnlyOpenOptions(rocksdb::DBOptions* options) {
  options->info_log = NullRocksDbLogger();
  options->max_file_opening_threads = 1;
  options->skip_stats_update_on_db_open = true;
}

}  // namespace loyalty::util
