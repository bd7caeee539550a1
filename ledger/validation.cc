#include "ledger/validation.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/unknown_field_set.h"
#include "loyalty/limits.h"
#include "loyalty/v1/options.pb.h"
#include "text/quoted.h"

namespace loyalty::internal {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status Invalid(size_t index, absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("event ", index, ": ", field, ": ", problem));
}

// Text safe to put in an error message: one line, cut short; valid UTF-8
// as it is, control characters and invalid bytes escaped.
std::string Printable(absl::string_view value) { return text::Quoted(value); }

// proto3 `string` fields must hold UTF-8: protobuf refuses to parse them
// otherwise, so an event stored with one could never be read back.
absl::Status CheckUtf8(size_t index, absl::string_view field, const std::string& value) {
  if (google::protobuf::internal::IsStructurallyValidUTF8(value.data(),
                                                        static_cast<int>(value.size()))) {
    return absl::OkStatus();
  }
  return Invalid(index, field, absl::StrCat(Printable(value), " is not valid UTF-8"));
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
  return CheckUtf8(index, field, value);
}

// Whether the schema declares the field never negative (options.proto): the
// rule lives beside the field it governs, so a new amount field states it
// there rather than by following a naming convention.
bool IsNonNegativeField(const FieldDescriptor& field) {
  return field.options().GetExtension(v1::non_negative);
}

// The fields of one message type that the schema rules apply to,
// in field-number order (the order in which errors are reported). Worked out
// once per type, so that checking an event walks only these fields and
// allocates nothing.
struct MessagePlan {
  enum class Kind { kAmount, kId, kText, kRepeatedText, kMessage, kRepeatedMessage };
  struct Check {
    const FieldDescriptor* field;
    Kind kind;
    const MessagePlan* plan;  // the submessage's, for kMessage and kRepeatedMessage
    // For a member of a oneof: its index in `oneofs`; -1 otherwise.
    int oneof_slot = -1;
  };
  std::vector<Check> checks;
  // The oneofs with a member among the checks. Which member of each is set
  // is read once per message rather than once per member (an event type is
  // one member of Event's oneof of dozens).
  std::vector<const google::protobuf::OneofDescriptor*> oneofs;
};

class MessagePlans {
 public:
  // The plan of `type` and of every type reachable from it.
  explicit MessagePlans(const google::protobuf::Descriptor* type) { root_ = Build(type); }
  const MessagePlan& root() const { return *root_; }

 private:
  const MessagePlan* Build(const google::protobuf::Descriptor* type) {
    auto [it, inserted] = plans_.try_emplace(type);
    if (!inserted) return it->second.get();  // built, or being built (a recursive type)
    it->second = std::make_unique<MessagePlan>();
    MessagePlan* plan = it->second.get();
    std::vector<const FieldDescriptor*> fields;
    for (int i = 0; i < type->field_count(); ++i) fields.push_back(type->field(i));
    std::sort(fields.begin(), fields.end(),
              [](const FieldDescriptor* a, const FieldDescriptor* b) {
                return a->number() < b->number();
              });
    for (const FieldDescriptor* field : fields) {
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        plan->checks.push_back({field,
                                field->is_repeated() ? MessagePlan::Kind::kRepeatedMessage
                                                     : MessagePlan::Kind::kMessage,
                                Build(field->message_type())});
        if (const google::protobuf::OneofDescriptor* oneof = field->real_containing_oneof()) {
          auto slot = std::find(plan->oneofs.begin(), plan->oneofs.end(), oneof);
          if (slot == plan->oneofs.end()) slot = plan->oneofs.insert(slot, oneof);
          plan->checks.back().oneof_slot = static_cast<int>(slot - plan->oneofs.begin());
        }
      } else if (field->type() == FieldDescriptor::TYPE_STRING && field->is_repeated()) {
        plan->checks.push_back({field, MessagePlan::Kind::kRepeatedText, nullptr});
      } else if (field->is_repeated()) {
        continue;
      } else if (IsNonNegativeField(*field)) {
        // Only signed integers can be negative.
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_INT64 ||
            field->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
          plan->checks.push_back({field, MessagePlan::Kind::kAmount, nullptr});
        }
      } else if (field->type() == FieldDescriptor::TYPE_STRING) {
        plan->checks.push_back({field,
                                absl::EndsWith(field->name(), "_id") ? MessagePlan::Kind::kId
                                                                     : MessagePlan::Kind::kText,
                                nullptr});
      }
    }
    return plan;
  }

  absl::flat_hash_map<const google::protobuf::Descriptor*, std::unique_ptr<MessagePlan>> plans_;
  const MessagePlan* root_ = nullptr;
};

// The plan of Event, built on first use; immutable (and so shared by every
// thread) after that.
const MessagePlan& EventPlan() {
  static const MessagePlans* const plans = new MessagePlans(v1::Event::descriptor());
  return plans->root();
}

// Where a field lies below the envelope, e.g. event.calendar_days_declared.days[3];
// only turned into text for an error message.
struct FieldPath {
  const FieldPath* parent;
  const FieldDescriptor* field;
  int index;  // the element of a repeated field; -1 otherwise

  std::string ToString() const {
    std::string out = parent != nullptr ? absl::StrCat(parent->ToString(), ".") : std::string();
    absl::StrAppend(&out, field->name());
    if (index >= 0) absl::StrAppend(&out, "[", index, "]");
    return out;
  }
};

// Applies the schema rules to `message`, whose own place is
// `path`, walking only the fields its plan lists.
absl::Status CheckFields(const Message& message, const MessagePlan& plan, const FieldPath& path,
                         size_t index) {
  const Reflection* reflection = message.GetReflection();
  const auto& unknown = reflection->GetUnknownFields(message);
  if (!unknown.empty()) {
    return Invalid(index, path.ToString(),
                   absl::StrCat("unknown field number ", unknown.field(0).number(),
                                " (an unknown event type or a newer schema)"));
  }
  // The set member of each of the plan's oneofs (null: none is set).
  absl::InlinedVector<const FieldDescriptor*, 2> oneof_set(plan.oneofs.size());
  for (size_t i = 0; i < plan.oneofs.size(); ++i) {
    oneof_set[i] = reflection->GetOneofFieldDescriptor(message, plan.oneofs[i]);
  }
  for (const MessagePlan::Check& check : plan.checks) {
    const FieldDescriptor* field = check.field;
    switch (check.kind) {
      case MessagePlan::Kind::kMessage: {
        if (check.oneof_slot >= 0 ? oneof_set[static_cast<size_t>(check.oneof_slot)] != field
                                  : !reflection->HasField(message, field)) {
          break;
        }
        absl::Status status =
            CheckFields(reflection->GetMessage(message, field), *check.plan,
                        FieldPath{&path, field, -1}, index);
        if (!status.ok()) return status;
        break;
      }
      case MessagePlan::Kind::kRepeatedMessage:
        for (int i = 0, n = reflection->FieldSize(message, field); i < n; ++i) {
          absl::Status status =
              CheckFields(reflection->GetRepeatedMessage(message, field, i), *check.plan,
                          FieldPath{&path, field, i}, index);
          if (!status.ok()) return status;
        }
        break;
      case MessagePlan::Kind::kAmount: {
        const int64_t value = field->cpp_type() == FieldDescriptor::CPPTYPE_INT64
                                  ? reflection->GetInt64(message, field)
                                  : reflection->GetInt32(message, field);
        if (value < 0) {
          return Invalid(index, FieldPath{&path, field, -1}.ToString(),
                         absl::StrCat(value, " must not be negative"));
        }
        break;
      }
      case MessagePlan::Kind::kId: {
        std::string scratch;
        const std::string& value = reflection->GetStringReference(message, field, &scratch);
        if (value.size() > kMaxIdBytes || value.find('\0') != std::string::npos ||
            !google::protobuf::internal::IsStructurallyValidUTF8(value.data(),
                                                                 static_cast<int>(value.size()))) {
          return CheckId(index, FieldPath{&path, field, -1}.ToString(), value, kMaxIdBytes,
                         false);
        }
        break;
      }
      case MessagePlan::Kind::kText: {
        std::string scratch;
        const std::string& value = reflection->GetStringReference(message, field, &scratch);
        if (!google::protobuf::internal::IsStructurallyValidUTF8(value.data(),
                                                                 static_cast<int>(value.size()))) {
          return CheckUtf8(index, FieldPath{&path, field, -1}.ToString(), value);
        }
        break;
      }
      case MessagePlan::Kind::kRepeatedText:
        for (int i = 0, n = reflection->FieldSize(message, field); i < n; ++i) {
          std::string scratch;
          const std::string& value =
              reflection->GetRepeatedStringReference(message, field, i, &scratch);
          absl::Status status = CheckUtf8(index, FieldPath{&path, field, i}.ToString(), value);
          if (!status.ok()) return status;
        }
        break;
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
  // The envelope's own fields are checked above, each with its own limit;
  // the schema rules apply inside the event.
  if (const auto& unknown = envelope.GetReflection()->GetUnknownFields(envelope);
      !unknown.empty()) {
    return Invalid(index, "envelope",
                   absl::StrCat("unknown field number ", unknown.field(0).number(),
                                " (an unknown event type or a newer schema)"));
  }
  return CheckFields(envelope.event(), EventPlan(),
                     FieldPath{nullptr, v1::Envelope::descriptor()->FindFieldByNumber(
                                            v1::Envelope::kEventFieldNumber),
                               -1},
                     index);
}

absl::Status CheckNoPlainPersonal(const v1::Envelope& envelope, size_t index) {
  const v1::Event& event = envelope.event();
  const char* field = nullptr;
  if (event.has_member_enrolled() && event.member_enrolled().personal().has_plain()) {
    field = "event.member_enrolled.personal.plain";
  } else if (event.has_member_profile_updated() &&
             event.member_profile_updated().personal().has_plain()) {
    field = "event.member_profile_updated.personal.plain";
  }
  if (field == nullptr) return absl::OkStatus();
  return Invalid(index, field,
                 "personal data is stored only sealed with the member's key, never in the "
                 "clear (the engine seals it: Engine::Execute(EnrolMember), Engine::Append; "
                 "docs/privacy.md)");
}

}  // namespace loyalty::internal
