#include "ledger/envelope_header.h"

#include <cstring>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"

#include "util/check.h"

namespace loyalty::internal {

using google::protobuf::io::CodedOutputStream;
using google::protobuf::internal::WireFormatLite;

// The header fields must come first in the canonical bytes, and the caller's
// fields after them, in this order: see envelope.proto.
static_assert(v1::Envelope::kSequenceFieldNumber == 1);
static_assert(v1::Envelope::kStreamVersionFieldNumber == 2);
static_assert(v1::Envelope::kRecordedAtUsFieldNumber == 3);
static_assert(v1::Envelope::kPreviousHashFieldNumber == 4);
static_assert(v1::Envelope::kStreamIdFieldNumber == 5);
static_assert(v1::Envelope::kIdempotencyKeyFieldNumber == 6);
static_assert(v1::Envelope::kOccurredAtUsFieldNumber == 7);
static_assert(v1::Envelope::kActorIdFieldNumber == 8);
static_assert(v1::Envelope::kSchemaVersionFieldNumber == 9);
static_assert(v1::Envelope::kEventFieldNumber == 10);

EncodedHeader EncodeEnvelopeHeader(const EnvelopeHeader& header) {
  EncodedHeader encoded;
  uint8_t* const start = reinterpret_cast<uint8_t*>(encoded.bytes_.data());
  uint8_t* target = start;
  if (header.sequence != 0) {
    target = WireFormatLite::WriteUInt64ToArray(v1::Envelope::kSequenceFieldNumber,
                                                header.sequence, target);
  }
  if (header.stream_version != 0) {
    target = WireFormatLite::WriteUInt64ToArray(v1::Envelope::kStreamVersionFieldNumber,
                                                header.stream_version, target);
  }
  if (header.recorded_at_us != 0) {
    target = WireFormatLite::WriteInt64ToArray(v1::Envelope::kRecordedAtUsFieldNumber,
                                               header.recorded_at_us, target);
  }
  if (!header.previous_hash.empty()) {
    target = WireFormatLite::WriteTagToArray(v1::Envelope::kPreviousHashFieldNumber,
                                             WireFormatLite::WIRETYPE_LENGTH_DELIMITED, target);
    target = CodedOutputStream::WriteVarint32ToArray(
        static_cast<uint32_t>(header.previous_hash.size()), target);
    std::memcpy(target, header.previous_hash.data(), header.previous_hash.size());
    target += header.previous_hash.size();
  }
  encoded.size_ = static_cast<size_t>(target - start);
  return encoded;
}

void SerializeCallerFields(const v1::Envelope& envelope, uint32_t schema_version,
                           std::string* out) {
  // The exact size first, then the bytes into that much room: a
  // StringOutputStream would grow `out` to its whole capacity (zeroing it)
  // for every event, and a batch's events share one growing buffer.
  const auto string_field_bytes = [](int number, const std::string& value) -> size_t {
    return value.empty() ? 0
                         : WireFormatLite::TagSize(number, WireFormatLite::TYPE_STRING) +
                               WireFormatLite::StringSize(value);
  };
  size_t size = string_field_bytes(v1::Envelope::kStreamIdFieldNumber, envelope.stream_id()) +
                string_field_bytes(v1::Envelope::kIdempotencyKeyFieldNumber,
                                   envelope.idempotency_key()) +
                string_field_bytes(v1::Envelope::kActorIdFieldNumber, envelope.actor_id());
  if (envelope.occurred_at_us() != 0) {
    size += WireFormatLite::TagSize(v1::Envelope::kOccurredAtUsFieldNumber,
                                    WireFormatLite::TYPE_INT64) +
            WireFormatLite::Int64Size(envelope.occurred_at_us());
  }
  if (schema_version != 0) {
    size += WireFormatLite::TagSize(v1::Envelope::kSchemaVersionFieldNumber,
                                    WireFormatLite::TYPE_UINT32) +
            WireFormatLite::UInt32Size(schema_version);
  }
  if (envelope.has_event()) {
    // Also caches the event's size, which WriteMessage writes.
    size += WireFormatLite::TagSize(v1::Envelope::kEventFieldNumber,
                                    WireFormatLite::TYPE_MESSAGE) +
            WireFormatLite::LengthDelimitedSize(envelope.event().ByteSizeLong());
  }
  const size_t offset = out->size();
  out->resize(offset + size);
  google::protobuf::io::ArrayOutputStream stream(out->data() + offset, static_cast<int>(size));
  CodedOutputStream output(&stream);
  output.SetSerializationDeterministic(true);
  if (!envelope.stream_id().empty()) {
    WireFormatLite::WriteString(v1::Envelope::kStreamIdFieldNumber, envelope.stream_id(), &output);
  }
  if (!envelope.idempotency_key().empty()) {
    WireFormatLite::WriteString(v1::Envelope::kIdempotencyKeyFieldNumber,
                                envelope.idempotency_key(), &output);
  }
  if (envelope.occurred_at_us() != 0) {
    WireFormatLite::WriteInt64(v1::Envelope::kOccurredAtUsFieldNumber, envelope.occurred_at_us(),
                               &output);
  }
  if (!envelope.actor_id().empty()) {
    WireFormatLite::WriteString(v1::Envelope::kActorIdFieldNumber, envelope.actor_id(), &output);
  }
  if (schema_version != 0) {
    WireFormatLite::WriteUInt32(v1::Envelope::kSchemaVersionFieldNumber, schema_version, &output);
  }
  if (envelope.has_event()) {
    WireFormatLite::WriteMessage(v1::Envelope::kEventFieldNumber, envelope.event(), &output);
  }
  output.Trim();
  // The size above and the bytes written agree by construction; a mismatch
  // (an event changed by another thread meanwhile) must not go unnoticed.
  LOYALTY_CHECK_MSG(static_cast<size_t>(output.ByteCount()) == size && !output.HadError(),
                    "canonical bytes: wrote ", output.ByteCount(), " of ", size);
}

namespace {

// Reads `canonical_bytes` into `header`, and, when `keys` is set, the
// caller half's offset and index keys into it.
bool ReadHeader(absl::string_view canonical_bytes, EnvelopeHeader* header,
                EnvelopeHeaderAndKeys* keys) {
  google::protobuf::io::CodedInputStream input(
      reinterpret_cast<const uint8_t*>(canonical_bytes.data()),
      static_cast<int>(canonical_bytes.size()));
  *header = EnvelopeHeader();
  bool caller_half_found = false;
  auto read_bytes = [&](absl::string_view* view) {
    uint32_t length = 0;
    if (!input.ReadVarint32(&length)) return false;
    const int position = input.CurrentPosition();
    if (length > canonical_bytes.size() - static_cast<size_t>(position)) return false;
    *view = canonical_bytes.substr(position, length);
    return input.Skip(static_cast<int>(length));
  };
  while (true) {
    const int tag_position = input.CurrentPosition();
    const uint32_t tag = input.ReadTag();
    if (tag == 0) {
      if (keys != nullptr && !caller_half_found) keys->caller_offset = canonical_bytes.size();
      return input.ConsumedEntireMessage() ||
             input.CurrentPosition() == static_cast<int>(canonical_bytes.size());
    }
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const auto wire_type = WireFormatLite::GetTagWireType(tag);
    if (keys != nullptr && !caller_half_found && field > v1::Envelope::kPreviousHashFieldNumber) {
      caller_half_found = true;
      keys->caller_offset = static_cast<size_t>(tag_position);
    }
    if (field == v1::Envelope::kSequenceFieldNumber &&
        wire_type == WireFormatLite::WIRETYPE_VARINT) {
      if (!input.ReadVarint64(&header->sequence)) return false;
    } else if (field == v1::Envelope::kStreamVersionFieldNumber &&
               wire_type == WireFormatLite::WIRETYPE_VARINT) {
      if (!input.ReadVarint64(&header->stream_version)) return false;
    } else if (field == v1::Envelope::kRecordedAtUsFieldNumber &&
               wire_type == WireFormatLite::WIRETYPE_VARINT) {
      uint64_t value = 0;
      if (!input.ReadVarint64(&value)) return false;
      header->recorded_at_us = static_cast<int64_t>(value);
    } else if (field == v1::Envelope::kPreviousHashFieldNumber &&
               wire_type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!read_bytes(&header->previous_hash)) return false;
    } else if (keys != nullptr && field == v1::Envelope::kStreamIdFieldNumber &&
               wire_type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!read_bytes(&keys->stream_id)) return false;
    } else if (keys != nullptr && field == v1::Envelope::kIdempotencyKeyFieldNumber &&
               wire_type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!read_bytes(&keys->idempotency_key)) return false;
    } else if (!WireFormatLite::SkipField(&input, tag)) {
      return false;
    }
  }
}

}  // namespace

bool ReadEnvelopeHeader(absl::string_view canonical_bytes, EnvelopeHeader* header) {
  return ReadHeader(canonical_bytes, header, nullptr);
}

bool ReadEnvelopeHeader(absl::string_view canonical_bytes, EnvelopeHeaderAndKeys* header) {
  *header = EnvelopeHeaderAndKeys();
  EnvelopeHeader assigned;
  if (!ReadHeader(canonical_bytes, &assigned, header)) return false;
  static_cast<EnvelopeHeader&>(*header) = assigned;
  return true;
}

}  // namespace loyalty::internal
