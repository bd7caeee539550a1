#include "projections/replay.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"

namespace loyalty::projections {
namespace {

absl::string_view EventKindName(const v1::Envelope& envelope) {
  const auto* field = v1::Event::descriptor()->FindFieldByNumber(envelope.event().kind_case());
  return field == nullptr ? absl::string_view("no event") : absl::string_view(field->name());
}

}  // namespace

absl::Status ReplayPosition::CheckNext(const v1::Envelope& envelope) const {
  if (envelope.sequence() == 0 || envelope.sequence() > last_sequence_) return absl::OkStatus();
  return EventError(absl::StatusCode::kFailedPrecondition, envelope,
                    absl::StrCat("out of order: the last sequence applied is ", last_sequence_));
}

void ReplayPosition::Record(const v1::Envelope& envelope) {
  if (envelope.sequence() != 0) last_sequence_ = envelope.sequence();
}

void ReplayPosition::MoveTo(int64_t instant_us) {
  if (instant_us > now_us_) now_us_ = instant_us;
}

state::Header ReplayPosition::ToHeader(absl::string_view name) const {
  state::Header header;
  header.set_projection(std::string(name));
  header.set_format_version(kStateFormatVersion);
  header.set_last_sequence(last_sequence_);
  header.set_now_us(now_us_);
  return header;
}

absl::StatusOr<ReplayPosition> ReplayPosition::FromHeader(const state::Header& header,
                                                          absl::string_view name) {
  if (header.projection() != name) {
    return absl::InvalidArgumentError(absl::StrCat("the state is of projection \"",
                                                   header.projection(), "\", not \"", name, "\""));
  }
  if (header.format_version() != kStateFormatVersion) {
    return absl::InvalidArgumentError(absl::StrCat(name, " state: format version ",
                                                   header.format_version(), " is not supported (",
                                                   kStateFormatVersion, " is)"));
  }
  if (header.now_us() < 0) return CorruptState(name, absl::StrCat("now_us ", header.now_us()));
  ReplayPosition position;
  position.last_sequence_ = header.last_sequence();
  position.now_us_ = header.now_us();
  return position;
}

absl::Status EventError(absl::StatusCode code, const v1::Envelope& envelope,
                        absl::string_view what) {
  return absl::Status(code,
                      absl::StrCat("sequence ", envelope.sequence(), " (", EventKindName(envelope),
                                   ", stream ", envelope.stream_id(), "): ", what));
}

std::string SerializeDeterministic(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

void WriteRepeatedElement(int field_number, const google::protobuf::Message& element,
                          std::string* scratch, CanonicalSink sink) {
  scratch->clear();
  {
    google::protobuf::io::StringOutputStream stream(scratch);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    coded.WriteTag(google::protobuf::internal::WireFormatLite::MakeTag(
        field_number, google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    coded.WriteVarint32(static_cast<uint32_t>(element.ByteSizeLong()));
    element.SerializeWithCachedSizes(&coded);
  }
  sink(*scratch);
}

std::string CollectCanonical(absl::FunctionRef<void(CanonicalSink)> write) {
  std::string bytes;
  write([&bytes](absl::string_view piece) { bytes.append(piece.data(), piece.size()); });
  return bytes;
}

absl::Status ParseState(absl::string_view bytes, absl::string_view name,
                        google::protobuf::Message* message) {
  const auto parse = [bytes](google::protobuf::Message* into) {
    return bytes.size() <= static_cast<size_t>(std::numeric_limits<int>::max()) &&
           into->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  };
  state::HeaderOnly header_only;
  if (parse(&header_only)) {
    absl::Status status = ReplayPosition::FromHeader(header_only.header(), name).status();
    if (!status.ok()) return status;
    if (parse(message)) return absl::OkStatus();
  }
  return CorruptState(name, absl::StrCat(bytes.size(), " bytes that do not decode"));
}

absl::Status CorruptState(absl::string_view name, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(name, " state: ", what));
}

}  // namespace loyalty::projections
