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

// The master key file beside the directory (the demo makes one), when
// there is one: the birthday job and --personal read it.
MasterKeySource DefaultMasterKey(const std::string& directory) {
  const std::string key_path = DefaultMasterKeyPath(directory);
  std::error_code error;
  return std::filesystem::exists(key_path, error) ? MasterKeyFromFile(key_path)
                                                  : MasterKeySource();
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngineWith(const std::string& directory,
                                                       MasterKeySource master_key, bool read_only,
                                                       bool create) {
  EngineOptions options;
  options.ledger.create_if_missing = create;
  options.ledger.read_only = read_only;
  options.ledger.sync = true;
  options.master_key = std::move(master_key);
  return Engine::Open(directory, options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ledger>> OpenLedgerForReading(const std::string& directory) {
  LedgerOptions options;
  options.create_if_missing = false;
  options.read_only = true;
  return Ledger::Open(directory, options);
}

absl::StatusOr<std::unique_ptr<Ledger>> OpenLedgerForWriting(const std::string& directory) {
  LedgerOptions options;
  options.create_if_missing = false;
  options.sync = true;
  return Ledger::Open(directory, options);
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngineForReading(const std::string& directory) {
  return OpenEngineForReading(directory, DefaultMasterKey(directory));
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngineForReading(const std::string& directory,
                                                             MasterKeySource master_key) {
  return OpenEngineWith(directory, std::move(master_key), /*read_only=*/true, /*create=*/false);
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(const std::string& directory) {
  return OpenEngine(directory, DefaultMasterKey(directory));
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(const std::string& directory,
                                                   MasterKeySource master_key) {
  return OpenEngineWith(directory, std::move(master_key), /*read_only=*/false, /*create=*/false);
}

absl::StatusOr<std::unique_ptr<Engine>> OpenOrCreateEngine(const std::string& directory) {
  return OpenEngineWith(directory, DefaultMasterKey(directory), /*read_only=*/false,
                        /*create=*/true);
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
