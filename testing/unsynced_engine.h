// An engine for tests whose ledger need not survive a crash.
#ifndef LOYALTY_TESTING_UNSYNCED_ENGINE_H_
#define LOYALTY_TESTING_UNSYNCED_ENGINE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "loyalty/clock.h"
#include "loyalty/engine.h"

namespace loyalty::testing {

// An engine on the ledger in `directory` (created if missing) whose appends
// are not synced, on `clock` (null: the system clock).
inline absl::StatusOr<std::unique_ptr<Engine>> OpenUnsyncedEngine(const std::string& directory,
                                                                  const Clock* clock = nullptr) {
  EngineOptions options;
  options.ledger.clock = clock;
  options.ledger.sync = false;
  return Engine::Open(directory, options);
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTING_UNSYNCED_ENGINE_H_
