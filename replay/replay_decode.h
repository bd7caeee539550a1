// Decoding an event for the projections, on a replay that decodes millions.
//
// No projection reads an envelope's previous_hash or idempotency_key: the
// chain and the retries are the ledger's business. They are also the only
// fields of the usual envelope too long for std::string to keep inline (a
// 32-byte hash; keys such as "purchase/P0000001/grant"), so decoding them
// costs two heap allocations per event and two releases when the event is
// dropped: about a tenth of the reading thread's time in a replay on two
// threads (bench/README.md, "Rebuild of every projection").
#ifndef LOYALTY_REPLAY_REPLAY_DECODE_H_
#define LOYALTY_REPLAY_REPLAY_DECODE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty::internal {

// Decodes the canonical bytes of the event at `sequence` into `envelope` as
// DecodeEvent does (ledger/event_decode.h), less previous_hash and
// idempotency_key: on success `envelope` equals DecodeEvent's envelope with
// those two fields cleared. It fails exactly when DecodeEvent fails, with
// the same error. `scratch` is working space, reused from call to call.
absl::Status DecodeForProjections(uint64_t sequence, absl::string_view canonical_bytes,
                                  std::string* scratch, v1::Envelope* envelope);

}  // namespace loyalty::internal

#endif  // LOYALTY_REPLAY_REPLAY_DECODE_H_
