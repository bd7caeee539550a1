// The decider of policy changes.
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "projections/decider_support.h"
#include "projections/deciders.h"

namespace loyalty::projections {
namespace {

// InvalidArgument when the change sets no non-zero value ("keep" for all).
absl::Status CheckChangesSomething(const v1::PolicySet& change) {
  const auto* reflection = change.GetReflection();
  const auto* field = reflection->GetOneofFieldDescriptor(
      change, change.GetDescriptor()->FindOneofByName("policy"));
  if (field == nullptr) return absl::InvalidArgumentError("change: no policy is set");
  const google::protobuf::Message& part = reflection->GetMessage(change, field);
  std::vector<const google::protobuf::FieldDescriptor*> set_fields;
  part.GetReflection()->ListFields(part, &set_fields);
  if (!set_fields.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("change.", field->name(), ": sets no value (every field is 0)"));
}

}  // namespace

absl::StatusOr<Events> DecideSetPolicy(const DecisionState& state, const SetPolicy& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (status.ok()) status = CheckCommandId("policy_change_id", command.policy_change_id);
  if (status.ok()) status = CheckChangesSomething(command.change);
  if (status.ok()) status = state.policy.CheckChange(command.change);
  if (!status.ok()) return status;
  v1::Envelope envelope =
      NewEnvelope(kPolicyStreamId, absl::StrCat("policy/", command.policy_change_id),
                  command.occurred_at_us, command.actor_id);
  *envelope.mutable_event()->mutable_policy_set() = command.change;
  return Events{std::move(envelope)};
}

}  // namespace loyalty::projections
