// What a directory that should hold a RocksDB database holds, decided before
// RocksDB touches it; creating such a directory all at once; opening one
// read-only without writing a byte.
//
// Why: RocksDB opened with create_if_missing on a directory whose CURRENT
// file is lost creates a new, empty database there and then deletes every
// older table and log file as obsolete. Every store of the ledger (the log,
// the member keys, the projections) therefore looks at its directory first
// and creates a database only where there is nothing to lose.
#ifndef LOYALTY_UTIL_DB_DIRECTORY_H_
#define LOYALTY_UTIL_DB_DIRECTORY_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
struct DBOptions;
class Logger;
}

namespace loyalty::util {

enum class DbDirectoryKind {
  // Nothing at the path.
  kMissing,
  // A directory with nothing in it, or only what a failed RocksDB open
  // leaves (LOCK, LOG files): creating a database there loses nothing.
  kEmpty,
  // A database: its CURRENT file names its manifest.
  kDatabase,
  // RocksDB's data files (tables, non-empty write-ahead logs) without a
  // CURRENT file, or with one that is empty: a database that lost its entry
  // point. Opening it would create an empty database over the data.
  kDamaged,
  // No database and no data files, but the metadata a creation writes
  // before its CURRENT file (IDENTITY, MANIFEST, OPTIONS, empty logs): a
  // creation that was interrupted. Creating again loses nothing.
  kInterruptedCreation,
  // Other files or directories and no database: not ours.
  kForeign,
  // The path is a file, not a directory.
  kNotADirectory,
};

struct DbDirectory {
  DbDirectoryKind kind = DbDirectoryKind::kMissing;
  // RocksDB's files found (names only, sorted).
  std::vector<std::string> database_files;
  // The other entries (names only, sorted), apart from `companions`.
  std::vector<std::string> other_entries;
};

// Looks at `path` without changing anything. Entries named in `companions`
// (sub-directories another store of the same ledger keeps, e.g.
// "member-keys") count neither as database files nor as other entries.
// Errors: Internal when the directory cannot be listed.
absl::StatusOr<DbDirectory> InspectDbDirectory(const std::string& path,
                                               absl::Span<const absl::string_view> companions = {});

// Whether `name` is a file RocksDB makes in a database directory: CURRENT,
// IDENTITY, LOCK, LOG, LOG.old.*, MANIFEST-*, OPTIONS-*, *.sst, *.log,
// *.blob, *.dbtmp.
bool IsRocksDbFileName(absl::string_view name);

// Up to `max_names` of `names`, quoted and joined for a message, with
// "and N more" when there are more.
std::string NamesForMessage(absl::Span<const std::string> names, size_t max_names = 5);

// Makes `path` a new database directory all at once: `fill` creates the
// database in a fresh temporary directory beside `path` (named
// ".<name>.creating-XXXXXX"), which is then synced and renamed to `path`,
// so a crash leaves either no directory or a complete one (a leftover
// temporary directory is removed by the next creation). `path` must be
// kMissing, kEmpty or kInterruptedCreation (FailedPrecondition, nothing
// changed, otherwise). When the rename cannot be done
// (leftovers of a failed open in `path`, an empty directory that is a mount
// point, a parent this user may not write), `fill` runs in `path` itself,
// and an interrupted creation is finished by the next open that may create.
// Errors: those of `fill`, and Internal/PermissionDenied for file-system
// failures, naming the path.
absl::Status CreateDbDirectoryAtomically(const std::string& path,
                                         const std::function<absl::Status(const std::string&)>& fill);

// Renames the directory `path` to `path` + ".damaged" (or ".damaged-2",
// "-3", ... when that exists), so that derived data found damaged can be
// rebuilt while what was found stays for a look. Deletes nothing. Returns
// the new path.
absl::StatusOr<std::string> SetDirectoryAside(const std::string& path);

// OK when `path` holds a database (kDatabase); otherwise NotFound naming
// `what` and the path, with nothing created (RocksDB makes the directory
// and its LOCK and LOG files before it finds no database there).
absl::Status CheckDatabaseExists(const std::string& path, absl::string_view what);

// Deletes the empty write-ahead logs that earlier opens of `db` left, all
// but the one it writes to now. RocksDB before 8.3 keeps every open's empty
// log until a flush (facebook/rocksdb#11313), so a database opened often and
// seldom written collects one empty file per open. Safe because the caller
// holds the database open for writing (its LOCK: no other process writes)
// and logs are not tracked in the manifest (RocksDB's default). Errors are
// ignored: the files are only clutter.
void RemoveEmptyEarlierWals(rocksdb::DB& db);

// Flushes the memtables of `families` (none given: the default family) to
// table files and waits, before a writer closes `db`. The next open, a
// reader's above all, then reads table files instead of replaying the
// write-ahead log into memtables: that replay took the read-only open of a
// year of a 4,000-member program 240 MB and over a second. Errors are
// ignored: the log still holds everything, and the next open replays it.
void FlushBeforeClose(rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& families);

// A RocksDB logger that writes nothing: a read-only open with RocksDB's
// default logger would create and rotate LOG files in the directory.
std::shared_ptr<rocksdb::Logger> NullRocksDbLogger();

// What every read-only open of a store sets: the logger above, and a start
// that costs what a query can afford (a reading command opens three stores
// and answers in tens of milliseconds): table files opened on the calling
// thread rather than 16 threads per column family, and no statistics
// gathered from the tables on open (they serve compaction, which a
// read-only open never runs).
void SetReadOnlyOpenOptions(rocksdb::DBOptions* options);

}  // namespace loyalty::util

#endif  // LOYALTY_UTIL_DB_DIRECTORY_H_
