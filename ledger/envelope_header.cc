#include "ledger/envelope_header.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty::internal {

using google::protobuf::internal::WireFormatLite;

bool ReadEnvelopeHeader(absl::string_view canonical_bytes, EnvelopeHeader* header) {
  google::protobuf::io::CodedInputStream input(
      reinterpret_cast<const uint8_t*>(canonical_bytes.data()),
      static_cast<int>(canonical_bytes.size()));
  *header = EnvelopeHeader();
  while (true) {
    const uint32_t tag = input.ReadTag();
    if (tag == 0) return input.ConsumedEntireMessage() || input.CurrentPosition() ==
                                                              static_cast<int>(canonical_bytes.size());
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const auto wire_type = WireFormatLite::GetTagWireType(tag);
    if (field == v1::Envelope::kSequenceFieldNumber &&
        wire_type == WireFormatLite::WIRETYPE_VARINT) {
      if (!input.ReadVarint64(&header->sequence)) return false;
    } else if (field == v1::Envelope::kRecordedAtUsFieldNumber &&
               wire_type == WireFormatLite::WIRETYPE_VARINT) {
      uint64_t value = 0;
      if (!input.ReadVarint64(&value)) return false;
      header->recorded_at_us = static_cast<int64_t>(value);
    } else if (field == v1::Envelope::kPreviousHashFieldNumber &&
               wire_type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length = 0;
      if (!input.ReadVarint32(&length)) return false;
      const int position = input.CurrentPosition();
      if (length > canonical_bytes.size() - static_cast<size_t>(position)) return false;
      header->previous_hash = canonical_bytes.substr(position, length);
      if (!input.Skip(static_cast<int>(length))) return false;
    } else if (!WireFormatLite::SkipField(&input, tag)) {
      return false;
    }
  }
}

}  // namespace loyalty::internal
