// Opening an engine whose ledger runs on test-chosen storage (a RocksDB Env
// that injects faults), for the fault and simulation tests. Not installed:
// services open engines with Engine::Open.
#ifndef LOYALTY_ENGINE_OPEN_WITH_HOOKS_H_
#define LOYALTY_ENGINE_OPEN_WITH_HOOKS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/rocksdb_ledger.h"
#include "loyalty/engine.h"

namespace loyalty::internal {

// As Engine::Open, with `hooks` applied to the ledger. The projections'
// checkpoint store keeps RocksDB's own environment.
absl::StatusOr<std::unique_ptr<Engine>> OpenEngineWithHooks(const std::string& directory,
                                                            const EngineOptions& options,
                                                            const StorageHooks& hooks);

}  // namespace loyalty::internal

#endif  // LOYALTY_ENGINE_OPEN_WITH_HOOKS_H_
