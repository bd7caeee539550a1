// The invariants the crash campaign and the simulation check after every
// crash or fault (docs/reliability.md):
//  - every acknowledged command's events are in the log, where the engine
//    said they were, and each writer's commands are in the order it gave them;
//  - the log is gap-free from sequence 1 to the head and its chain verifies;
//  - the live projections' digests equal a rebuild from zero.
#ifndef LOYALTY_TESTS_RELIABILITY_INVARIANTS_H_
#define LOYALTY_TESTS_RELIABILITY_INVARIANTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "loyalty/engine.h"

namespace loyalty::testing {

// A command the engine acknowledged: the sequences it appended and the id
// its events' idempotency keys carry (one '/'-separated part of the key).
struct AckedCommand {
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
  uint32_t writer = 0;  // commands of one writer were acknowledged in order
  std::string id;
};

inline bool KeyNames(const std::string& key, const std::string& id) {
  for (absl::string_view part : absl::StrSplit(key, '/')) {
    if (part == id) return true;
  }
  return false;
}

// Checks the log and the projections of `engine` against `acked`. Returns
// the first violation found, or OK. Rebuild() also saves a checkpoint.
inline absl::Status CheckInvariants(Engine& engine, absl::Span<const AckedCommand> acked) {
  Ledger& ledger = engine.ledger();
  const ChainHead head = ledger.Head();
  if (absl::Status verified = ledger.Verify(1, head.sequence); !verified.ok()) {
    return absl::DataLossError(absl::StrCat("the chain does not verify: ", verified.message()));
  }
  std::vector<std::string> keys;  // keys[n - 1]: the key of event n
  keys.reserve(head.sequence);
  absl::Status scanned = ledger.Scan(1, head.sequence, [&](const v1::Envelope& event) {
    if (event.sequence() != keys.size() + 1) {
      return absl::DataLossError(
          absl::StrCat("gap: event ", event.sequence(), " follows ", keys.size()));
    }
    keys.push_back(event.idempotency_key());
    return absl::OkStatus();
  });
  if (!scanned.ok()) return scanned;
  if (keys.size() != head.sequence) {
    return absl::DataLossError(
        absl::StrCat("the log holds ", keys.size(), " events, the head says ", head.sequence));
  }
  absl::flat_hash_map<uint32_t, uint64_t> last_by_writer;
  for (const AckedCommand& command : acked) {
    if (command.first_sequence == 0 || command.last_sequence < command.first_sequence ||
        command.last_sequence > head.sequence) {
      return absl::DataLossError(absl::StrCat("acknowledged command ", command.id, " at ",
                                              command.first_sequence, "..",
                                              command.last_sequence, " is past the head ",
                                              head.sequence));
    }
    for (uint64_t n : {command.first_sequence, command.last_sequence}) {
      if (!KeyNames(keys[n - 1], command.id)) {
        return absl::DataLossError(absl::StrCat("acknowledged command ", command.id,
                                                " should be at sequence ", n, " which holds \"",
                                                keys[n - 1], "\""));
      }
    }
    uint64_t& last = last_by_writer[command.writer];
    if (command.first_sequence <= last) {
      return absl::DataLossError(absl::StrCat("writer ", command.writer, "'s command ",
                                              command.id, " at ", command.first_sequence,
                                              " is not after its previous one at ", last));
    }
    last = command.last_sequence;
  }
  absl::StatusOr<std::vector<ProjectionDigest>> rebuilt = engine.Rebuild();
  if (!rebuilt.ok()) {
    return absl::DataLossError(
        absl::StrCat("projections differ from a rebuild: ", rebuilt.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_RELIABILITY_INVARIANTS_H_
