// Helpers every projection shares: its position in the log and in business
// time, error messages that name the event, and the canonical byte form.
// Internal to projections/.
#ifndef LOYALTY_PROJECTIONS_REPLAY_H_
#define LOYALTY_PROJECTIONS_REPLAY_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "loyalty/v1/envelope.pb.h"
#include "projections/projection_state.pb.h"

namespace loyalty::projections {

// The version of the canonical state format written by this build.
inline constexpr uint32_t kStateFormatVersion = 2;

// The last sequence applied and the projection-wide business time reached
// (the latest occurred-at or AdvanceTo instant). That now is reported in the
// header only: member state follows each member's own now (projection.h).
class ReplayPosition {
 public:
  uint64_t last_sequence() const { return last_sequence_; }
  int64_t now_us() const { return now_us_; }

  // FailedPrecondition when `envelope` has a non-zero sequence that is not
  // greater than the last one recorded.
  absl::Status CheckNext(const v1::Envelope& envelope) const;

  // Records `envelope` as applied (a zero sequence leaves the position).
  void Record(const v1::Envelope& envelope);

  // Moves now forward to `instant_us`; an earlier instant does nothing.
  void MoveTo(int64_t instant_us);

  // The header of a canonical state of projection `name`.
  state::Header ToHeader(absl::string_view name) const;

  // Reads a header written by ToHeader(name). InvalidArgument for another
  // projection's or format's header; DataLoss for a negative time.
  static absl::StatusOr<ReplayPosition> FromHeader(const state::Header& header,
                                                   absl::string_view name);

 private:
  uint64_t last_sequence_ = 0;
  int64_t now_us_ = 0;
};

// An error about one event: "sequence 12 (points_redeemed, stream member-M1):
// <what>".
absl::Status EventError(absl::StatusCode code, const v1::Envelope& envelope,
                        absl::string_view what);

// The deterministic serialization of `message`.
std::string SerializeDeterministic(const google::protobuf::Message& message);

// Receives a canonical state's bytes piece by piece, in order.
using CanonicalSink = absl::FunctionRef<void(absl::string_view)>;

// Gives `sink` what the deterministic serialization of a message holds for
// `element` as one entry of its repeated message field `field_number`: the
// tag, the length and the element's bytes. The serialization of a message
// is its fields' in number order, so a state can be written field by field
// and its members one at a time, equal byte for byte to SerializeDeterministic
// of the whole, without the whole being built. `scratch` is reused between
// calls.
void WriteRepeatedElement(int field_number, const google::protobuf::Message& element,
                          std::string* scratch, CanonicalSink sink);

// The bytes a state written through a CanonicalSink is made of.
std::string CollectCanonical(absl::FunctionRef<void(CanonicalSink)> write);

// The entries of a hashed map in key order, for canonical serialization.
template <typename Map>
std::vector<const typename Map::value_type*> SortedByKey(const Map& map) {
  std::vector<const typename Map::value_type*> entries;
  entries.reserve(map.size());
  for (const auto& entry : map) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  return entries;
}

// Parses `bytes` into `message`: InvalidArgument if they are the state of
// another projection than `name` or of another format (see FromHeader);
// DataLoss if they do not decode.
absl::Status ParseState(absl::string_view bytes, absl::string_view name,
                        google::protobuf::Message* message);

// DataLoss "<name> state: <what>", for a state that breaks an invariant.
absl::Status CorruptState(absl::string_view name, absl::string_view what);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_REPLAY_H_
