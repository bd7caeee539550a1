#include "cli/ledger_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "loyalty/privacy.h"
#include "util/conninfo.h"

namespace loyalty::cli {
namespace {

absl::Status IoError(absl::string_view what, absl::string_view path, int error_number) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(error_number)));
}

// An output with personal data in the clear meets a file of its name.
absl::Status ExistsError(absl::string_view path) {
  return absl::AlreadyExistsError(
      absl::StrCat(path, " exists: a file of personal data in the clear is never written over "
                         "another file; remove it, or pass --overwrite to replace it"));
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngineWith(const GlobalOptions& global,
                                                       MasterKeySource master_key, bool read_only,
                                                       bool create) {
  EngineOptions options;
  options.ledger.create_if_missing = create;
  options.ledger.read_only = read_only;
  options.ledger.sync = true;
  options.master_key = std::move(master_key);
  if (!util::IsPostgresUri(global.db_directory)) return Engine::Open(global.db_directory, options);
  options.postgres_uri = global.db_directory;
  return Engine::Open(global.checkpoint_directory, options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ledger>> OpenLedgerForReading(const std::string& db) {
  LedgerOptions options;
  options.create_if_missing = false;
  options.read_only = true;
  return util::IsPostgresUri(db) ? Ledger::OpenPostgres(db, options) : Ledger::Open(db, options);
}

absl::StatusOr<std::unique_ptr<Ledger>> OpenLedgerForWriting(const std::string& db) {
  LedgerOptions options;
  options.create_if_missing = false;
  options.sync = true;
  return util::IsPostgresUri(db) ? Ledger::OpenPostgres(db, options) : Ledger::Open(db, options);
}

MasterKeySource MasterKeyFromKeyFile(const GlobalOptions& global, const std::string& path) {
  return [path, allow_open = global.allow_open_master_key]() -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> key = ReadMasterKeyFile(path);
    if (!absl::IsPermissionDenied(key.status())) return key;
    if (!allow_open) {
      return absl::PermissionDeniedError(
          absl::StrCat(key.status().message(), " (or pass --allow-open-master-key to use it)"));
    }
    const std::string warning = absl::StrCat("loyalty: warning: ", key.status().message(),
                                             "; used as it is (--allow-open-master-key)\n");
    std::fwrite(warning.data(), 1, warning.size(), stderr);
    MasterKeyFileOptions options;
    options.allow_group_or_other_access = true;
    return ReadMasterKeyFile(path, options);
  };
}

MasterKeySource DefaultMasterKey(const GlobalOptions& global) {
  if (util::IsPostgresUri(global.db_directory)) return MasterKeySource();
  const std::string key_path = DefaultMasterKeyPath(global.db_directory);
  std::error_code error;
  return std::filesystem::exists(key_path, error) ? MasterKeyFromKeyFile(global, key_path)
                                                  : MasterKeySource();
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngineForReading(const GlobalOptions& global) {
  return OpenEngineForReading(global, DefaultMasterKey(global));
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngineForReading(const GlobalOptions& global,
                                                             MasterKeySource master_key) {
  return OpenEngineWith(global, std::move(master_key), /*read_only=*/true, /*create=*/false);
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(const GlobalOptions& global) {
  return OpenEngine(global, DefaultMasterKey(global));
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(const GlobalOptions& global,
                                                   MasterKeySource master_key) {
  return OpenEngineWith(global, std::move(master_key), /*read_only=*/false, /*create=*/false);
}

absl::StatusOr<std::unique_ptr<Engine>> OpenOrCreateEngine(const GlobalOptions& global) {
  return OpenOrCreateEngine(global, DefaultMasterKey(global));
}

absl::StatusOr<std::unique_ptr<Engine>> OpenOrCreateEngine(const GlobalOptions& global,
                                                           MasterKeySource master_key) {
  return OpenEngineWith(global, std::move(master_key), /*read_only=*/false, /*create=*/true);
}

std::string FormatTimeUs(int64_t time_us) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(time_us),
                          absl::UTCTimeZone());
}

std::string EventTypeName(const v1::Envelope& envelope) {
  // The oneof case of `kind` is the field number of the type that is set.
  const google::protobuf::FieldDescriptor* field =
      v1::Event::descriptor()->FindFieldByNumber(envelope.event().kind_case());
  return field == nullptr ? "none" : field->name();
}

absl::StatusOr<std::string> EnvelopeToJson(const v1::Envelope& envelope) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(envelope, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("sequence ", envelope.sequence(),
                     ": cannot be written as JSON: ", std::string(status.message())));
  }
  return json;
}

absl::StatusOr<std::unique_ptr<Output>> Output::Open(const std::string& path) {
  return Open(path, Options());
}

absl::StatusOr<std::unique_ptr<Output>> Output::Open(const std::string& path, Options options) {
  if (path.empty() || path == "-") {
    return std::unique_ptr<Output>(new Output(stdout, "", options));
  }
  const std::string partial = path + ".partial";
  if (!options.personal_data) {
    std::FILE* file = std::fopen(partial.c_str(), "wb");
    if (file == nullptr) return IoError("cannot create", partial, errno);
    return std::unique_ptr<Output>(new Output(file, path, options));
  }
  struct stat existing;
  if (!options.overwrite && ::lstat(path.c_str(), &existing) == 0) {
    return ExistsError(path);
  }
  // O_EXCL: never through a file or link that is there already, whose mode
  // and owner are someone else's choice.
  int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST && options.overwrite && ::unlink(partial.c_str()) == 0) {
    fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  }
  if (fd < 0 && errno == EEXIST) return ExistsError(partial);
  if (fd < 0) return IoError("cannot create", partial, errno);
  // The umask may have taken the owner's bits away; none is added for others.
  if (::fchmod(fd, 0600) != 0) {
    const int error_number = errno;
    ::close(fd);
    ::unlink(partial.c_str());
    return IoError("cannot set the mode of", partial, error_number);
  }
  std::FILE* file = ::fdopen(fd, "wb");
  if (file == nullptr) {
    const int error_number = errno;
    ::close(fd);
    ::unlink(partial.c_str());
    return IoError("cannot create", partial, error_number);
  }
  return std::unique_ptr<Output>(new Output(file, path, options));
}

Output::~Output() {
  if (is_stdout() || finished_) return;
  std::fclose(file_);
  std::remove(partial_path().c_str());
}

absl::Status Output::Write(absl::string_view bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    return IoError("writing", is_stdout() ? "standard output" : partial_path(), errno);
  }
  return absl::OkStatus();
}

absl::Status Output::Finish() {
  if (is_stdout()) {
    if (std::fflush(stdout) != 0) return IoError("writing", "standard output", errno);
    finished_ = true;
    return absl::OkStatus();
  }
  const std::string partial = partial_path();
  if (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0) {
    return IoError("writing", partial, errno);
  }
  finished_ = true;  // the file is closed below whatever happens
  if (std::fclose(file_) != 0) {
    const int error_number = errno;
    std::remove(partial.c_str());
    return IoError("closing", partial, error_number);
  }
  return Place();
}

absl::Status Output::Place() {
  const std::string partial = partial_path();
  if (options_.personal_data && !options_.overwrite) {
    // link() fails if the name was taken meanwhile, where rename() would
    // replace what took it.
    if (::link(partial.c_str(), path_.c_str()) != 0) {
      const int error_number = errno;
      std::remove(partial.c_str());
      if (error_number == EEXIST) return ExistsError(path_);
      return IoError(absl::StrCat("linking ", partial, " to"), path_, error_number);
    }
    std::remove(partial.c_str());
    return absl::OkStatus();
  }
  if (std::rename(partial.c_str(), path_.c_str()) != 0) {
    const int error_number = errno;
    std::remove(partial.c_str());
    return IoError(absl::StrCat("renaming ", partial, " to"), path_, error_number);
  }
  return absl::OkStatus();
}

}  // namespace loyalty::cli
