// Durable checkpoints of projection state.
//
// The states of every projection and the sequence of the last event applied
// to them are written together in one synced RocksDB write, so after a crash
// the projections resume from a state that matches its sequence exactly: no
// event is applied twice and none is skipped.
#ifndef LOYALTY_ENGINE_PROJECTION_STORE_H_
#define LOYALTY_ENGINE_PROJECTION_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "replay/checkpoint.h"

namespace rocksdb {
class DB;
}

namespace loyalty::internal {

class ProjectionStore {
 public:
  // Creates an empty store in `directory`, which must not exist or be
  // empty, all at once (util/db_directory.h).
  static absl::Status Create(const std::string& directory);

  // Opens the existing store in `directory`; never creates one. With
  // `read_only` nothing in the directory is written and Save and Clear fail
  // with FailedPrecondition. DataLoss when a file of the store fails its
  // checks (or the store is incomplete); Internal for other storage errors.
  static absl::StatusOr<std::unique_ptr<ProjectionStore>> Open(const std::string& directory,
                                                               bool read_only);
  ~ProjectionStore();

  // The last checkpoint saved; applied_sequence 0 and no states if none.
  // DataLoss when what is stored does not read back (a damaged file).
  absl::StatusOr<ProjectionCheckpoint> Load() const;

  // Replaces the checkpoint and adds its member snapshots, atomically and
  // durably.
  absl::Status Save(const ProjectionCheckpoint& checkpoint);

  // The member's latest snapshot taken at or before `sequence`; nullopt if
  // there is none.
  absl::StatusOr<std::optional<StoredMemberSnapshot>> LatestMemberSnapshot(
      absl::string_view member_id, uint64_t sequence) const;

  // Forgets every checkpoint and member snapshot (the projections will be
  // rebuilt from zero).
  absl::Status Clear();

  // Copies the store as it is now into `directory`, which must not exist
  // (util/rocks_checkpoint.h): what a backup takes.
  absl::Status CopyTo(const std::string& directory);

 private:
  ProjectionStore(std::unique_ptr<rocksdb::DB> db, bool read_only);
  absl::Status CheckWritable(absl::string_view what) const;
  std::unique_ptr<rocksdb::DB> db_;
  const bool read_only_;
};

}  // namespace loyalty::internal

#endif  // LOYALTY_ENGINE_PROJECTION_STORE_H_
