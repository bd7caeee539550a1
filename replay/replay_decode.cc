#include "replay/replay_decode.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "ledger/event_decode.h"

namespace loyalty::internal {
namespace {

using google::protobuf::internal::WireFormatLite;

bool IsAscii(absl::string_view bytes) {
  for (char c : bytes) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// True for a field the projections do not read and whose absence cannot
// change whether the envelope decodes: previous_hash as bytes (any content
// decodes), idempotency_key as an ASCII string (always valid UTF-8). Any
// other form of them is left for the decoder to judge.
bool LeftOut(int field, WireFormatLite::WireType wire_type, absl::string_view content) {
  if (wire_type != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) return false;
  if (field == v1::Envelope::kPreviousHashFieldNumber) return true;
  return field == v1::Envelope::kIdempotencyKeyFieldNumber && IsAscii(content);
}

// Copies the top-level fields of `bytes` into `out`, less those LeftOut;
// false if `bytes` is not a sequence of well-formed fields.
bool CopyWithoutLedgerFields(absl::string_view bytes, std::string* out) {
  out->clear();
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  google::protobuf::io::CodedInputStream input(data, static_cast<int>(bytes.size()));
  while (true) {
    const int start = input.CurrentPosition();
    const uint32_t tag = input.ReadTag();
    if (tag == 0) return start == static_cast<int>(bytes.size());
    const auto wire_type = WireFormatLite::GetTagWireType(tag);
    absl::string_view content;
    if (wire_type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length = 0;
      if (!input.ReadVarint32(&length) || length > bytes.size() - input.CurrentPosition()) {
        return false;
      }
      content = bytes.substr(input.CurrentPosition(), length);
      if (!input.Skip(static_cast<int>(length))) return false;
    } else if (!WireFormatLite::SkipField(&input, tag)) {
      return false;
    }
    if (LeftOut(WireFormatLite::GetTagFieldNumber(tag), wire_type, content)) continue;
    out->append(bytes.data() + start, input.CurrentPosition() - start);
  }
}

}  // namespace

absl::Status DecodeForProjections(uint64_t sequence, absl::string_view canonical_bytes,
                                  std::string* scratch, v1::Envelope* envelope) {
  // Bytes that do not split into fields go to the decoder whole, for its
  // own verdict and error.
  const absl::string_view bytes =
      CopyWithoutLedgerFields(canonical_bytes, scratch) ? absl::string_view(*scratch)
                                                        : canonical_bytes;
  absl::Status status = DecodeEvent(sequence, bytes, envelope);
  // What the copy left in (a key that is not ASCII, fields it could not
  // split) goes now.
  envelope->clear_previous_hash();
  envelope->clear_idempotency_key();
  return status;
}

}  // namespace loyalty::internal
