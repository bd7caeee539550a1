// The two halves of an envelope's canonical bytes, read and written straight
// as wire bytes.
//
// envelope.proto numbers the fields the ledger assigns (sequence,
// stream_version, recorded_at_us, previous_hash: 1-4) below the caller's
// (5-10), and deterministic serialization writes fields in number order, so
//   canonical_bytes = EncodeEnvelopeHeader(assigned) || SerializeCallerFields(envelope)
// is the deterministic serialization of the complete envelope. The caller's
// thread serializes its half once; the ledger writes only the short header
// when it assigns the position. Verification and time look-ups read the
// header without decoding the event.
#ifndef LOYALTY_LEDGER_ENVELOPE_HEADER_H_
#define LOYALTY_LEDGER_ENVELOPE_HEADER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty::internal {

// The fields the ledger assigns.
struct EnvelopeHeader {
  uint64_t sequence = 0;
  uint64_t stream_version = 0;
  int64_t recorded_at_us = 0;
  absl::string_view previous_hash;  // points into the bytes read, or the caller's hash
};

// What ReadEnvelopeHeader finds of the caller's half too: where it starts
// (the bytes the ledger's content digest covers) and the two caller fields
// the indexes are keyed by. Views into the bytes read.
struct EnvelopeHeaderAndKeys : EnvelopeHeader {
  size_t caller_offset = 0;
  absl::string_view stream_id;
  absl::string_view idempotency_key;
};

// Three varint fields of at most 1 + 10 bytes and a 32-byte hash with its tag
// and length.
inline constexpr size_t kMaxEnvelopeHeaderBytes = 3 * (1 + 10) + 1 + 1 + 32;

// The wire bytes of a header, without an allocation.
class EncodedHeader {
 public:
  absl::string_view bytes() const { return absl::string_view(bytes_.data(), size_); }

 private:
  friend EncodedHeader EncodeEnvelopeHeader(const EnvelopeHeader& header);
  std::array<char, kMaxEnvelopeHeaderBytes> bytes_;
  size_t size_ = 0;
};

// The deterministic serialization of an Envelope that holds only `header`'s
// fields (zero values are omitted, as protobuf omits them). previous_hash
// must be at most 32 bytes.
EncodedHeader EncodeEnvelopeHeader(const EnvelopeHeader& header);

// Appends to `out` the deterministic serialization of an Envelope that holds
// only `envelope`'s caller fields, with schema_version replaced by
// `schema_version`. `envelope` must carry no unknown fields (the ledger
// refuses them at the door); its assigned fields are ignored. Like
// protobuf's own serialization it caches the event's size in the message
// (in relaxed atomics: concurrent calls on one envelope are fine).
void SerializeCallerFields(const v1::Envelope& envelope, uint32_t schema_version,
                           std::string* out);

// Reads the header of stored canonical bytes, walking the whole message to
// check it is well-formed protobuf. False if it is not.
bool ReadEnvelopeHeader(absl::string_view canonical_bytes, EnvelopeHeader* header);
// The same, with the caller's half located and its index keys read.
bool ReadEnvelopeHeader(absl::string_view canonical_bytes, EnvelopeHeaderAndKeys* header);

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_ENVELOPE_HEADER_H_
