// Shared plumbing of the loyalty tool's commands: opening the ledger,
// formatting events and times, and writing results.
#ifndef LOYALTY_CLI_LEDGER_IO_H_
#define LOYALTY_CLI_LEDGER_IO_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/command.h"
#include "loyalty/engine.h"
#include "loyalty/ledger.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty::cli {

// How the tool opens the ledger in --db: a directory, or a ledger in
// PostgreSQL when --db is a postgresql:// (or postgres://) URI, with the
// projections' checkpoint in --checkpoint-dir. A command that only reads
// opens it read-only: nothing under the directory (or in the database) is
// written, created or deleted, and it may run while another process
// appends. A command that writes opens an existing ledger (`loyalty init`
// creates one). None creates a ledger over existing files or tables
// (loyalty/ledger.h, Ledger::Open and Ledger::OpenPostgres).

// Opens an existing ledger, read-only. InvalidArgument, naming the
// directory, when there is no ledger; otherwise the errors of Ledger::Open
// (or Ledger::OpenPostgres).
absl::StatusOr<std::unique_ptr<Ledger>> OpenLedgerForReading(const std::string& db);

// Opens an existing ledger for writing, with sync on; the errors of
// OpenLedgerForReading otherwise.
absl::StatusOr<std::unique_ptr<Ledger>> OpenLedgerForWriting(const std::string& db);

// The master key in the file at `path` (a command's --master-key FILE),
// read when the engine opens. A file that its group or others may access is
// refused (PermissionDenied naming the file, its mode and `chmod 600 FILE`,
// and --allow-open-master-key), or with that global flag used after a
// warning on standard error.
MasterKeySource MasterKeyFromKeyFile(const GlobalOptions& global, const std::string& path);

// The master key in DefaultMasterKeyPath(--db) when that file exists (the
// demo makes it), read as MasterKeyFromKeyFile reads it; no key otherwise,
// and none for a ledger in PostgreSQL (give --master-key FILE).
MasterKeySource DefaultMasterKey(const GlobalOptions& global);

// Opens the engine on an existing ledger, read-only, for the commands that
// report on the projections. The master key is DefaultMasterKey(global), or
// `master_key` when given.
absl::StatusOr<std::unique_ptr<Engine>> OpenEngineForReading(const GlobalOptions& global);
absl::StatusOr<std::unique_ptr<Engine>> OpenEngineForReading(const GlobalOptions& global,
    MasterKeySource master_key);

// Opens the engine on an existing ledger for a command that writes, with
// sync on; the master key as for OpenEngineForReading. InvalidArgument
// when there is no ledger (the message says `loyalty init` makes one);
// otherwise the errors of Engine::Open.
absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(const GlobalOptions& global);
absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(const GlobalOptions& global,
    MasterKeySource master_key);

// Opens the engine for writing, creating the ledger when the directory does
// not exist or is empty (`loyalty init`); the master key as for
// OpenEngineForReading.
absl::StatusOr<std::unique_ptr<Engine>> OpenOrCreateEngine(const GlobalOptions& global);
absl::StatusOr<std::unique_ptr<Engine>> OpenOrCreateEngine(const GlobalOptions& global,
    MasterKeySource master_key);

// RFC 3339 in UTC with microseconds: "2024-01-01T08:30:00.000000Z".
std::string FormatTimeUs(int64_t time_us);

// The event's type as named in envelope.proto ("purchase_recorded"), or
// "none" when no type is set.
std::string EventTypeName(const v1::Envelope& envelope);

// The envelope in protobuf's JSON mapping with the .proto field names
// (preserve_proto_field_names), on one line, without a newline.
absl::StatusOr<std::string> EnvelopeToJson(const v1::Envelope& envelope);

// Where a command writes its results: standard output, or a file that
// appears under its name only once it is complete (it is written beside it
// as "<path>.partial", synced and renamed into place by Finish).
class Output {
 public:
  struct Options {
    // The output holds personal data in the clear. A file is then created
    // with mode 0600 whatever the umask, beside no existing file of its
    // name: AlreadyExists, naming the file and --overwrite, when FILE or
    // FILE.partial exists, checked when it is opened and again, atomically,
    // when Finish puts it in place.
    bool personal_data = false;
    // Replace an existing FILE (and FILE.partial) all the same.
    bool overwrite = false;
  };

  // "-" or "" is standard output. Unavailable when the file cannot be created.
  static absl::StatusOr<std::unique_ptr<Output>> Open(const std::string& path);
  static absl::StatusOr<std::unique_ptr<Output>> Open(const std::string& path, Options options);

  // Removes the partial file unless Finish succeeded.
  ~Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  absl::Status Write(absl::string_view bytes);

  // Flushes; for a file also syncs, closes and renames it into place.
  absl::Status Finish();

 private:
  Output(std::FILE* file, std::string path, Options options)
      : file_(file), path_(std::move(path)), options_(options) {}
  bool is_stdout() const { return path_.empty(); }
  std::string partial_path() const { return path_ + ".partial"; }
  // Puts the closed partial file in place.
  absl::Status Place();

  std::FILE* file_;
  // Empty for standard output.
  std::string path_;
  const Options options_;
  bool finished_ = false;
};

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_LEDGER_IO_H_
