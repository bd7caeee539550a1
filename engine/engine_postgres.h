// Opening an engine on a ledger in PostgreSQL (EngineOptions::postgres_uri):
// the log and the member keys in the database, the projections' checkpoint
// in a local directory.
#ifndef LOYALTY_ENGINE_ENGINE_POSTGRES_H_
#define LOYALTY_ENGINE_ENGINE_POSTGRES_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "loyalty/engine.h"

namespace loyalty::internal {

// The name of the lock file a writing engine holds in its checkpoint
// directory: two writers of one checkpoint would save over each other.
inline constexpr char kCheckpointLockFile[] = "LOCK";

// As Engine::Open with options.postgres_uri set. `checkpoint_directory`:
// where the projections' checkpoint is kept, made if missing (when
// writing); empty keeps the projections in memory only. A second writing
// engine on the same checkpoint directory fails with FailedPrecondition.
absl::StatusOr<std::unique_ptr<Engine>> OpenEngineOnPostgres(
    const std::string& checkpoint_directory, const EngineOptions& options);

}  // namespace loyalty::internal

#endif  // LOYALTY_ENGINE_ENGINE_POSTGRES_H_
