// The rule that amounts and points are never negative, as the schema states
// it: the field option (loyalty.v1.non_negative), read by the ledger's door.
#include "ledger/validation.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "loyalty/v1/options.pb.h"
#include "testing/events.h"

namespace loyalty::internal {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using ::testing::HasSubstr;

// Every message type of the loyalty.v1 schema, nested ones included: those
// of envelope.proto's file and of every file it imports.
void CollectMessages(const Descriptor* type, std::vector<const Descriptor*>* out) {
  out->push_back(type);
  for (int i = 0; i < type->nested_type_count(); ++i) CollectMessages(type->nested_type(i), out);
}

void CollectFiles(const FileDescriptor* file, std::set<const FileDescriptor*>* seen,
                  std::vector<const Descriptor*>* out) {
  if (file->package() != "loyalty.v1" || !seen->insert(file).second) return;
  for (int i = 0; i < file->message_type_count(); ++i) CollectMessages(file->message_type(i), out);
  for (int i = 0; i < file->dependency_count(); ++i) CollectFiles(file->dependency(i), seen, out);
}

std::vector<const Descriptor*> SchemaMessages() {
  std::set<const FileDescriptor*> seen;
  std::vector<const Descriptor*> messages;
  CollectFiles(v1::Envelope::descriptor()->file(), &seen, &messages);
  return messages;
}

// The rule the ledger applied by field name before the option existed:
// a singular signed integer named `*_fen`, `points` or `*_points`.
bool MatchedByNameRule(const FieldDescriptor& field) {
  const std::string& name = field.name();
  const bool named =
      absl::EndsWith(name, "_fen") || name == "points" || absl::EndsWith(name, "_points");
  const bool signed_integer = field.cpp_type() == FieldDescriptor::CPPTYPE_INT64 ||
                              field.cpp_type() == FieldDescriptor::CPPTYPE_INT32;
  return named && signed_integer && !field.is_repeated();
}

bool HasOption(const FieldDescriptor& field) {
  return field.options().GetExtension(v1::non_negative);
}

TEST(NonNegativeOptionTest, IsSetOnExactlyTheFieldsTheNameRuleMatched) {
  const std::vector<const Descriptor*> messages = SchemaMessages();
  // The walk reaches the event types and the policies (a sanity check that
  // it walked the schema at all).
  ASSERT_GE(messages.size(), 30u);
  std::vector<std::string> optioned;
  for (const Descriptor* type : messages) {
    for (int i = 0; i < type->field_count(); ++i) {
      const FieldDescriptor& field = *type->field(i);
      EXPECT_EQ(HasOption(field), MatchedByNameRule(field)) << field.full_name();
      if (HasOption(field)) optioned.push_back(field.full_name());
    }
  }
  EXPECT_THAT(
      optioned,
      ::testing::UnorderedElementsAre(
          "loyalty.v1.PurchaseRecorded.amount_fen", "loyalty.v1.RefundRecorded.amount_fen",
          "loyalty.v1.PointsGranted.points", "loyalty.v1.PointsRedeemed.points",
          "loyalty.v1.PointsDebited.points", "loyalty.v1.ComplaintResolved.goodwill_points",
          "loyalty.v1.TierPolicy.silver_threshold_fen", "loyalty.v1.TierPolicy.gold_threshold_fen",
          "loyalty.v1.TierPolicy.platinum_threshold_fen",
          "loyalty.v1.BirthdayPolicy.bonus_points"));
}

// Where each optioned field lies below Event: the message fields leading to
// it, then the field itself.
void CollectOptionedPaths(const Descriptor* type, std::vector<const FieldDescriptor*>* path,
                          std::vector<std::vector<const FieldDescriptor*>>* out) {
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    path->push_back(field);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated()) {
      CollectOptionedPaths(field->message_type(), path, out);
    } else if (HasOption(*field)) {
      out->push_back(*path);
    }
    path->pop_back();
  }
}

TEST(NonNegativeOptionTest, ANegativeValueInAnyOptionedFieldIsRefusedNamingFieldAndValue) {
  std::vector<const FieldDescriptor*> path;
  std::vector<std::vector<const FieldDescriptor*>> paths;
  CollectOptionedPaths(v1::Event::descriptor(), &path, &paths);
  ASSERT_EQ(paths.size(), 10u);
  for (const std::vector<const FieldDescriptor*>& fields : paths) {
    v1::Envelope envelope = testing::Purchase("M1", "P1", 100);
    envelope.mutable_event()->Clear();
    google::protobuf::Message* message = envelope.mutable_event();
    std::string name = "event";
    for (size_t i = 0; i + 1 < fields.size(); ++i) {
      message = message->GetReflection()->MutableMessage(message, fields[i]);
      absl::StrAppend(&name, ".", fields[i]->name());
    }
    const FieldDescriptor* field = fields.back();
    absl::StrAppend(&name, ".", field->name());
    // Zero is allowed: the rule is about the sign.
    EXPECT_TRUE(ValidateNewEnvelope(envelope, 0).ok()) << name;
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
      message->GetReflection()->SetInt64(message, field, -7);
    } else {
      message->GetReflection()->SetInt32(message, field, -7);
    }
    const absl::Status status = ValidateNewEnvelope(envelope, 3);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(status.message(),
                HasSubstr(absl::StrCat("event 3: ", name, ": -7 must not be negative")));
  }
}

}  // namespace
}  // namespace loyalty::internal
