// The caller's share of an append, done on the caller's thread before the
// batch waits for its position: the checks at the door, the serialization
// of the caller's fields (once: a backend only prepends the header it
// assigns, ledger/envelope_header.h) and their digest for idempotency.
// Every backend appends prepared batches, so that both store the same bytes
// and refuse the same input with the same words.
#ifndef LOYALTY_LEDGER_PREPARED_BATCH_H_
#define LOYALTY_LEDGER_PREPARED_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/envelope_header.h"
#include "loyalty/ledger.h"

namespace loyalty::internal {

// An event checked at the door, waiting for its position. Its envelope is
// the caller's, which outlives the Append call.
struct PreparedEvent {
  const v1::Envelope* envelope;
  // Where the serialization of the envelope's caller fields (envelope.proto
  // 5-10) lies in PreparedBatch::caller_bytes.
  size_t caller_offset;
  size_t caller_size;
  Hash content_digest;  // SHA-256 of those bytes: decides idempotent retries
  uint64_t stream_version = 0;  // assigned by the writer that positions it
};

struct PreparedBatch {
  std::vector<PreparedEvent> events;
  std::string caller_bytes;  // every event's caller fields, one after another
  absl::string_view CallerBytes(const PreparedEvent& event) const {
    return absl::string_view(caller_bytes).substr(event.caller_offset, event.caller_size);
  }
};

// Checks `batch` as Ledger::Append does before anything is read or written
// (InvalidArgument: empty or oversized, an event ValidateNewEnvelope or,
// unless `allow_plain_personal`, CheckNoPlainPersonal refuses, a key used
// twice in the batch, an expected version's stream id) and fills `prepared`.
absl::Status PrepareBatch(const AppendBatch& batch, bool allow_plain_personal,
                          PreparedBatch* prepared);

// An event given its place: the header the ledger assigns (its canonical
// bytes are header || PreparedBatch::CallerBytes) and its chain hash.
struct PlacedEvent {
  EncodedHeader header;
  Hash hash{};
};

// Places event `index` of `batch` at `sequence`, recorded at
// `recorded_at_us`, after the event whose chain hash is `previous`.
// InvalidArgument naming the event when its canonical bytes would pass
// kMaxEventBytes.
absl::StatusOr<PlacedEvent> PlaceEvent(const PreparedBatch& batch, size_t index,
                                       uint64_t sequence, int64_t recorded_at_us,
                                       const Hash& previous);

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_PREPARED_BATCH_H_
