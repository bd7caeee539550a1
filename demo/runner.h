// Runs a generated workload through the public Engine API into a ledger.
#ifndef LOYALTY_DEMO_RUNNER_H_
#define LOYALTY_DEMO_RUNNER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "demo/workload.h"
#include "loyalty/privacy.h"

namespace loyalty::demo {

struct RunOptions {
  WorkloadOptions workload;
  // Delete the ledger in the directory first (DestroyLedger: refused when
  // the directory holds anything else).
  bool replace = false;
  // fsync every command (the default of an embedded ledger). Off makes the
  // demo faster and still safe from a crash of the process.
  bool sync = true;
  // The master key that seals the members' personal data. Empty: a fresh
  // random key that is not kept anywhere, so the run's personal data can
  // never be read afterwards (tests and benchmarks). Data keys and nonces
  // come from the workload's seed, so the same options give the same log
  // whatever the master key (docs/privacy.md).
  MasterKeySource master_key;
};

struct RunSummary {
  WorkloadCounts generated;
  int64_t commands_executed = 0;
  // Commands the engine refused, by status code name and kind of command:
  // e.g. a redemption larger than what the member had left.
  std::map<std::string, int64_t> refused;
  int64_t events_appended = 0;
  int64_t elapsed_ms = 0;
};

// Called after each command with (commands done, business time reached).
using Progress = std::function<void(int64_t done, int64_t occurred_at_us)>;

// Generates the workload and executes every command, in order, on a ledger
// in `directory`. The ledger clock follows business time, so the same
// options give the same log, byte for byte, and the same chain head.
// FailedPrecondition if the directory already holds a ledger with events and
// `replace` is off, or holds anything else than a ledger.
absl::StatusOr<RunSummary> RunWorkload(const std::string& directory, const RunOptions& options,
                                       const Progress& progress);

}  // namespace loyalty::demo

#endif  // LOYALTY_DEMO_RUNNER_H_
