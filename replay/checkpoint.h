// A checkpoint of the projection set: what the engine saves (its projection
// store) and what a replay resumes from. The data only; where it is kept is
// the engine's (engine/projection_store.h).
#ifndef LOYALTY_REPLAY_CHECKPOINT_H_
#define LOYALTY_REPLAY_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace loyalty::internal {

// One member's snapshot (projections/member_snapshot.h), taken right after
// the member's event at `sequence`.
struct StoredMemberSnapshot {
  std::string member_id;
  uint64_t sequence = 0;
  std::string bytes;
};

struct ProjectionCheckpoint {
  uint64_t applied_sequence = 0;
  // The chain hash of the event at applied_sequence: a checkpoint belongs to
  // the log whose hash at that sequence is this one (empty: saved by a build
  // that did not record it).
  std::string applied_hash;
  // (projection name, canonical state), in the order they were saved.
  std::vector<std::pair<std::string, std::string>> states;
  // Member snapshots taken since the last checkpoint, saved with it. They
  // stay when later checkpoints replace this one (a snapshot at a sequence
  // never changes: the log is append-only); Load does not read them.
  std::vector<StoredMemberSnapshot> member_snapshots;
};

}  // namespace loyalty::internal

#endif  // LOYALTY_REPLAY_CHECKPOINT_H_
