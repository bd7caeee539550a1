#include "ledger/validation.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/unknown_field_set.h"
#include "loyalty/limits.h"

namespace loyalty::internal {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status Invalid(size_t index, absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("event ", index, ": ", field, ": ", problem));
}

// Text safe to put in an error message: printable ASCII, cut short.
std::string Printable(absl::string_view value) {
  std::string out = absl::StrCat("\"", absl::CHexEscape(value.substr(0, 80)));
  if (value.size() > 80) absl::StrAppend(&out, "...");
  absl::StrAppend(&out, "\"");
  return out;
}

absl::Status CheckId(size_t index, absl::string_view field, const std::string& value,
                     size_t max_bytes, bool required) {
  if (required && value.empty()) return Invalid(index, field, "must not be empty");
  if (value.size() > max_bytes) {
    return Invalid(index, field,
                   absl::StrFormat("%s is %d bytes, more than the limit of %d", Printable(value),
                                   value.size(), max_bytes));
  }
  if (value.find('\0') != std::string::npos) {
    return Invalid(index, field, absl::StrCat(Printable(value), " contains a NUL byte"));
  }
  return absl::OkStatus();
}

bool IsAmountField(const FieldDescriptor& field) {
  const std::string& name = field.name();
  return absl::EndsWith(name, "_fen") || name == "points" || absl::EndsWith(name, "_points");
}

// Walks every set field of `message`, applying the naming-convention rules.
absl::Status CheckFields(const Message& message, const std::string& path, size_t index) {
  const Reflection* reflection = message.GetReflection();
  if (!reflection->GetUnknownFields(message).empty()) {
    const auto& unknown = reflection->GetUnknownFields(message);
    return Invalid(index, path.empty() ? "envelope" : path,
                   absl::StrCat("unknown field number ", unknown.field(0).number(),
                                " (an unknown event type or a newer schema)"));
  }
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string name = path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0, n = reflection->FieldSize(message, field); i < n; ++i) {
          absl::Status status = CheckFields(reflection->GetRepeatedMessage(message, field, i),
                                            absl::StrCat(name, "[", i, "]"), index);
          if (!status.ok()) return status;
        }
      } else {
        absl::Status status = CheckFields(reflection->GetMessage(message, field), name, index);
        if (!status.ok()) return status;
      }
      continue;
    }
    if (field->is_repeated()) continue;
    if (IsAmountField(*field)) {
      int64_t value = 0;
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
        value = reflection->GetInt64(message, field);
      } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
        value = reflection->GetInt32(message, field);
      }
      if (value < 0) return Invalid(index, name, absl::StrCat(value, " must not be negative"));
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
               field->type() == FieldDescriptor::TYPE_STRING &&
               absl::EndsWith(field->name(), "_id")) {
      absl::Status status =
          CheckId(index, name, reflection->GetString(message, field), kMaxIdBytes, false);
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateNewEnvelope(const v1::Envelope& envelope, size_t index) {
  absl::Status status = CheckId(index, "stream_id", envelope.stream_id(), kMaxStreamIdBytes, true);
  if (!status.ok()) return status;
  status = CheckId(index, "idempotency_key", envelope.idempotency_key(), kMaxIdempotencyKeyBytes,
                   true);
  if (!status.ok()) return status;
  status = CheckId(index, "actor_id", envelope.actor_id(), kMaxActorIdBytes, true);
  if (!status.ok()) return status;
  if (envelope.occurred_at_us() <= 0) {
    return Invalid(index, "occurred_at_us",
                   absl::StrCat(envelope.occurred_at_us(),
                                " must be a positive count of microseconds since 1970"));
  }
  if (envelope.sequence() != 0) {
    return Invalid(index, "sequence",
                   absl::StrCat(envelope.sequence(), " is assigned by the ledger; leave it unset"));
  }
  if (envelope.stream_version() != 0) {
    return Invalid(index, "stream_version",
                   absl::StrCat(envelope.stream_version(),
                                " is assigned by the ledger; leave it unset"));
  }
  if (envelope.recorded_at_us() != 0) {
    return Invalid(index, "recorded_at_us",
                   absl::StrCat(envelope.recorded_at_us(),
                                " is assigned by the ledger; leave it unset"));
  }
  if (!envelope.previous_hash().empty()) {
    return Invalid(index, "previous_hash", "is assigned by the ledger; leave it unset");
  }
  if (envelope.schema_version() != 0 && envelope.schema_version() != kCurrentSchemaVersion) {
    return Invalid(index, "schema_version",
                   absl::StrCat(envelope.schema_version(), " is not supported (this build writes ",
                                kCurrentSchemaVersion, ")"));
  }
  if (!envelope.has_event() || envelope.event().kind_case() == v1::Event::KIND_NOT_SET) {
    if (envelope.has_event() &&
        !envelope.event().GetReflection()->GetUnknownFields(envelope.event()).empty()) {
      return Invalid(index, "event",
                     absl::StrCat("unknown event type (field number ",
                                  envelope.event()
                                      .GetReflection()
                                      ->GetUnknownFields(envelope.event())
                                      .field(0)
                                      .number(),
                                  ")"));
    }
    return Invalid(index, "event", "no event type is set");
  }
  return CheckFields(envelope, "", index);
}

}  // namespace loyalty::internal
