#include "cli/ledger_io.h"

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

namespace loyalty::cli {
namespace {

absl::Status IoError(absl::string_view what, absl::string_view path, int error_number) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(error_number)));
}

absl::StatusOr<std::unique_ptr<Ledger>> OpenLedger(const std::string& directory,
                                                   bool create_if_missing) {
  LedgerOptions options;
  options.create_if_missing = create_if_missing;
  options.sync = true;
  return Ledger::Open(directory, options);
}

// OK when `directory` may hold a ledger: an existing, non-empty directory.
// RocksDB creates the directory (and its LOCK and LOG files) before it finds
// that there is no database, so a command that must not create one looks
// first.
absl::Status CheckLedgerDirectory(const std::string& directory) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(directory, error);
  if (!std::filesystem::exists(status)) {
    return absl::InvalidArgumentError(
        absl::StrCat("no ledger at ", directory,
                     ": the directory does not exist (`loyalty append` creates it)"));
  }
  if (!std::filesystem::is_directory(status)) {
    return absl::InvalidArgumentError(
        absl::StrCat("no ledger at ", directory, ": it is not a directory"));
  }
  if (std::filesystem::is_empty(directory, error) && !error) {
    return absl::InvalidArgumentError(
        absl::StrCat("no ledger at ", directory, ": the directory is empty"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ledger>> OpenLedgerForReading(const std::string& directory) {
  if (absl::Status checked = CheckLedgerDirectory(directory); !checked.ok()) return checked;
  return OpenLedger(directory, /*create_if_missing=*/false);
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(const std::string& directory) {
  // The master key file beside the directory (the demo makes one), when
  // there is one: the birthday job reads birth dates through it.
  const std::string key_path = DefaultMasterKeyPath(directory);
  std::error_code error;
  return OpenEngine(directory, std::filesystem::exists(key_path, error)
                                   ? MasterKeyFromFile(key_path)
                                   : MasterKeySource());
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(const std::string& directory,
                                                   MasterKeySource master_key) {
  if (absl::Status checked = CheckLedgerDirectory(directory); !checked.ok()) return checked;
  EngineOptions options;
  options.ledger.create_if_missing = false;
  options.ledger.sync = true;
  options.master_key = std::move(master_key);
  return Engine::Open(directory, options);
}

absl::StatusOr<std::unique_ptr<Ledger>> OpenLedgerForAppending(const std::string& directory) {
  return OpenLedger(directory, /*create_if_missing=*/true);
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
  if (path.empty() || path == "-") return std::unique_ptr<Output>(new Output(stdout, ""));
  const std::string partial = path + ".partial";
  std::FILE* file = std::fopen(partial.c_str(), "wb");
  if (file == nullptr) return IoError("cannot create", partial, errno);
  return std::unique_ptr<Output>(new Output(file, path));
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
  if (std::rename(partial.c_str(), path_.c_str()) != 0) {
    const int error_number = errno;
    std::remove(partial.c_str());
    return IoError(absl::StrCat("renaming ", partial, " to"), path_, error_number);
  }
  return absl::OkStatus();
}

}  // namespace loyalty::cli
