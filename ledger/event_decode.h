// Decoding an event's canonical bytes, with the one error every reader of
// the log (scans, reads, replays, audits of a bundle) reports when they do
// not decode.
#ifndef LOYALTY_LEDGER_EVENT_DECODE_H_
#define LOYALTY_LEDGER_EVENT_DECODE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty::internal {

// DataLoss "sequence N: does not decode".
inline absl::Status EventDoesNotDecode(uint64_t sequence) {
  return absl::DataLossError(absl::StrCat("sequence ", sequence, ": does not decode"));
}

// Parses the canonical bytes of the event at `sequence` into `envelope`;
// EventDoesNotDecode if they are not an envelope.
inline absl::Status DecodeEvent(uint64_t sequence, absl::string_view canonical_bytes,
                                v1::Envelope* envelope) {
  if (envelope->ParseFromArray(canonical_bytes.data(), static_cast<int>(canonical_bytes.size()))) {
    return absl::OkStatus();
  }
  return EventDoesNotDecode(sequence);
}

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_EVENT_DECODE_H_
