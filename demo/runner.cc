#include "demo/runner.h"

#include <chrono>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "loyalty/clock.h"
#include "loyalty/engine.h"
#include "privacy/aead.h"

namespace loyalty::demo {
namespace {

const char* KindName(const Command& command) {
  static constexpr const char* kNames[] = {
      "enrolment",  "policy",          "purchase",         "refund",
      "redemption", "adjustment",      "birthday run",     "calendar declaration",
      "complaint",  "complaint reply", "investigation",    "resolution",
      "notification", "confirmation",  "survey"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == std::variant_size_v<Command>,
                "one name per kind of command");
  return kNames[command.index()];
}

}  // namespace

absl::StatusOr<RunSummary> RunWorkload(const std::string& directory, const RunOptions& options,
                                       const Progress& progress) {
  std::error_code error;
  if (options.replace && std::filesystem::exists(directory, error) &&
      !std::filesystem::is_empty(directory, error)) {
    absl::Status destroyed = DestroyLedger(directory);
    if (!destroyed.ok()) return destroyed;
  } else if (!options.replace && std::filesystem::exists(directory + "/CURRENT", error)) {
    // Looked at before the engine opens it with this run's master key.
    LedgerOptions read_only;
    read_only.create_if_missing = false;
    read_only.read_only = true;
    absl::StatusOr<std::unique_ptr<Ledger>> existing = Ledger::Open(directory, read_only);
    if (!existing.ok()) return existing.status();
    if ((*existing)->Head().sequence > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "directory ", directory,
          " already holds a ledger with events; pass --replace to start over"));
    }
  }
  // Ledger time follows business time, a second behind each command.
  ManualClock clock(options.workload.start_us);
  EngineOptions engine_options;
  engine_options.ledger.clock = &clock;
  engine_options.ledger.sync = options.sync;
  engine_options.master_key = options.master_key;
  if (!engine_options.master_key) {
    absl::StatusOr<std::string> throwaway = privacy::RandomBytes(kMasterKeyBytes);
    if (!throwaway.ok()) return throwaway.status();
    engine_options.master_key = MasterKeyFromBytes(std::move(*throwaway));
  }
  // The demo's personal data is made up: its keys and nonces may follow the
  // seed, which keeps the log the same on every run.
  engine_options.random_bytes = privacy::SeededRandomBytes(options.workload.seed);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(directory, engine_options);
  if (!engine.ok()) return engine.status();

  RunSummary summary;
  const auto started = std::chrono::steady_clock::now();
  absl::Status status = GenerateWorkload(
      options.workload,
      [&](const Command& command) -> absl::Status {
        const int64_t at_us = OccurredAtUs(command);
        if (at_us + 1000000 > clock.NowMicros()) clock.Set(at_us + 1000000);
        absl::StatusOr<CommandResult> result =
            std::visit([&](const auto& c) { return (*engine)->Execute(c); }, command);
        ++summary.commands_executed;
        if (result.ok()) {
          // A deduplicated result names events appended earlier.
          if (!result->deduplicated) {
            summary.events_appended += static_cast<int64_t>(result->sequences.size());
          }
        } else if (absl::IsFailedPrecondition(result.status()) ||
                   absl::IsAlreadyExists(result.status())) {
          ++summary.refused[absl::StrCat(KindName(command), ": ",
                                         absl::StatusCodeToString(result.status().code()))];
        } else {
          return result.status();
        }
        if (progress) progress(summary.commands_executed, at_us);
        return absl::OkStatus();
      },
      &summary.generated);
  if (!status.ok()) return status;
  status = (*engine)->Checkpoint();
  if (!status.ok()) return status;
  summary.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  return summary;
}

}  // namespace loyalty::demo
