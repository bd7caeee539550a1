// Reads the ledger-assigned fields of a stored envelope straight from its
// wire bytes, without decoding the event: verification and time lookups
// touch every event and need nothing else.
#ifndef LOYALTY_LEDGER_ENVELOPE_HEADER_H_
#define LOYALTY_LEDGER_ENVELOPE_HEADER_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace loyalty::internal {

struct EnvelopeHeader {
  uint64_t sequence = 0;
  int64_t recorded_at_us = 0;
  absl::string_view previous_hash;  // points into the bytes read
};

// False if `canonical_bytes` is not a well-formed protobuf message.
bool ReadEnvelopeHeader(absl::string_view canonical_bytes, EnvelopeHeader* header);

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_ENVELOPE_HEADER_H_
