#include "engine/engine_postgres.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/engine_impl.h"
#include "engine/engine_stores.h"
#include "util/file_lock.h"

namespace loyalty::internal {

absl::StatusOr<std::unique_ptr<Engine>> OpenEngineOnPostgres(
    const std::string& checkpoint_directory, const EngineOptions& options) {
  namespace fs = std::filesystem;
  const bool read_only = options.ledger.read_only;
  // The ledger first: nothing is made on this machine for a URI that leads
  // to no ledger.
  absl::StatusOr<std::unique_ptr<Ledger>> ledger =
      Ledger::OpenPostgres(options.postgres_uri, options.ledger);
  if (!ledger.ok()) return ledger.status();
  std::unique_ptr<util::FileLock> lock;
  if (!checkpoint_directory.empty() && !read_only) {
    std::error_code error;
    fs::create_directories(checkpoint_directory, error);
    if (error) {
      return absl::InternalError(absl::StrCat("creating the checkpoint directory ",
                                              checkpoint_directory, ": ", error.message()));
    }
    absl::StatusOr<std::unique_ptr<util::FileLock>> locked = util::FileLock::Exclusive(
        (fs::path(checkpoint_directory) / kCheckpointLockFile).string());
    if (!locked.ok()) {
      if (!absl::IsUnavailable(locked.status())) return locked.status();
      return absl::FailedPreconditionError(absl::StrCat(
          "the checkpoint directory ", checkpoint_directory,
          " is in use by another engine (each writing engine needs a directory of its own)"));
    }
    lock = std::move(*locked);
  }
  int stores_set_aside = 0;
  std::unique_ptr<ProjectionStore> store;
  if (!checkpoint_directory.empty()) {
    absl::StatusOr<std::unique_ptr<ProjectionStore>> opened = OpenProjectionStore(
        checkpoint_directory, read_only, NoticeSinkOf(options), &stores_set_aside);
    if (!opened.ok()) return opened.status();
    store = std::move(*opened);
  }
  auto engine = std::make_unique<EngineImpl>(options, checkpoint_directory, std::move(*ledger),
                                             std::move(store), std::move(lock));
  absl::Status started = engine->OpenMemberKeys();
  if (!started.ok()) return started;
  started = engine->Start(stores_set_aside);
  if (!started.ok()) return started;
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace loyalty::internal
