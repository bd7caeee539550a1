#include "engine/raw_batch_check.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/event_decision.h"
#include "google/protobuf/util/message_differencer.h"
#include "projections/business_time.h"

namespace loyalty::internal {
namespace {

std::string Quoted(absl::string_view value) {
  return absl::StrCat("\"", absl::CHexEscape(value.substr(0, 80)),
                      value.size() > 80 ? "...\"" : "\"");
}

std::string TypeOf(const v1::Envelope& envelope) {
  const google::protobuf::FieldDescriptor* field =
      v1::Event::descriptor()->FindFieldByNumber(envelope.event().kind_case());
  return field == nullptr ? "none" : field->name();
}

absl::Status AtEvent(size_t index, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat("event ", index, ": ", status.message()));
}

// A decider's refusal as a refusal of the raw event. NotFound (an unknown
// member, purchase or complaint) and AlreadyExists (an id recorded already)
// become FailedPrecondition: the event does not fit the ledger's state, and
// unlike a retried command it is not a success (a true retry of appended
// events is answered by the ledger before this).
absl::Status Refusal(const absl::Status& status) {
  if (absl::IsNotFound(status) || absl::IsAlreadyExists(status)) {
    return absl::FailedPreconditionError(status.message());
  }
  return status;
}

// InvalidArgument naming the first field in which `given` differs from what
// the decision of `command` emits; the fields the ledger assigns and
// schema_version (0 means the current one) are not compared.
// The event's payload is compared by meaning, so its bytes may differ from
// those the command would have written (an empty message left out).
absl::Status CompareWithDecision(const v1::Envelope& given, const v1::Envelope& decided,
                                 absl::string_view command) {
  const std::string type = TypeOf(given);
  auto differs = [&](absl::string_view field, const std::string& given_value,
                     const std::string& decided_value) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", given_value, " is not the ",
                                                   decided_value, " that ", command, " gives ",
                                                   TypeOf(decided)));
  };
  if (given.event().kind_case() != decided.event().kind_case()) {
    return absl::InvalidArgumentError(
        absl::StrCat(command, " emits ", TypeOf(decided), " here, not ", type));
  }
  if (given.stream_id() != decided.stream_id()) {
    return differs("stream_id", Quoted(given.stream_id()), Quoted(decided.stream_id()));
  }
  if (given.idempotency_key() != decided.idempotency_key()) {
    return differs("idempotency_key", Quoted(given.idempotency_key()),
                   Quoted(decided.idempotency_key()));
  }
  if (given.occurred_at_us() != decided.occurred_at_us()) {
    return differs("occurred_at_us", absl::StrCat(given.occurred_at_us()),
                   absl::StrCat(decided.occurred_at_us()));
  }
  if (given.actor_id() != decided.actor_id()) {
    return differs("actor_id", Quoted(given.actor_id()), Quoted(decided.actor_id()));
  }
  // Meaning, not bytes: an absent message field equals an empty one (an
  // enrolment without personal data is the one EnrolMember makes).
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_message_field_comparison(google::protobuf::util::MessageDifferencer::EQUIVALENT);
  std::string report;
  differencer.ReportDifferencesToString(&report);
  if (differencer.Compare(decided.event(), given.event())) return absl::OkStatus();
  const std::vector<std::string> lines = absl::StrSplit(report, '\n', absl::SkipEmpty());
  return absl::InvalidArgumentError(
      absl::StrCat(type, " is not what ", command, " decides (decided -> given): ",
                   lines.empty() ? std::string("the events differ") : lines.front()));
}

// Sealed personal data is accepted only if it opens with this ledger's key
// of the member at the position the event gets (`positioned`): anything
// else could never be read, and would stop the birthday job, which reads
// every member's birth date.
absl::Status CheckSealedPersonal(const v1::Envelope& positioned, const PersonalData& personal) {
  std::string member_id;
  const v1::Personal* data = PersonalOf(positioned, &member_id);
  if (data == nullptr || !data->has_sealed()) return absl::OkStatus();
  absl::StatusOr<v1::PersonalData> opened = personal.Reveal(positioned);
  if (opened.ok()) return absl::OkStatus();
  return absl::Status(absl::IsFailedPrecondition(opened.status())
                          ? absl::StatusCode::kFailedPrecondition
                          : absl::StatusCode::kInvalidArgument,
                      absl::StrCat("personal: the sealed data of member ", Quoted(member_id),
                                   " does not open with the member's key in this ledger at "
                                   "stream version ",
                                   positioned.stream_version(), " (", opened.status().message(),
                                   "); sealed data is accepted only as this ledger sealed it"));
}

}  // namespace

absl::StatusOr<CheckedRawBatch> CheckRawBatch(absl::Span<const v1::Envelope> events,
                                              const RawBatchContext& context,
                                              ProjectionSet* scratch) {
  CheckedRawBatch checked;
  absl::flat_hash_map<std::string, uint64_t> versions = context.stream_versions;
  absl::flat_hash_set<absl::string_view> streams;
  for (const v1::Envelope& envelope : events) {
    if (streams.insert(envelope.stream_id()).second) {
      checked.expected_versions.emplace_back(envelope.stream_id(),
                                             versions.at(envelope.stream_id()));
    }
  }
  // The events of the batch that carry personal data, by the sequence the
  // scratch copy gave them: a birthday grant may follow an enrolment.
  absl::flat_hash_map<uint64_t, v1::Envelope> batch_personal;
  uint64_t sequence = context.applied_sequence;
  auto birth_date =
      [&](const std::string& member_id) -> absl::StatusOr<std::optional<v1::LocalDate>> {
    auto entry = scratch->member_index().find(member_id);
    if (entry == scratch->member_index().end() || entry->second.personal_sequence == 0) {
      return std::nullopt;
    }
    const uint64_t at = entry->second.personal_sequence;
    v1::Envelope holder;
    if (at > context.applied_sequence) {
      holder = batch_personal.at(at);
    } else {
      absl::StatusOr<std::vector<v1::Envelope>> read = context.ledger->Read(at, 1);
      if (!read.ok()) return read.status();
      if (read->empty()) {
        return absl::DataLossError(absl::StrCat("personal data of member ", Quoted(member_id),
                                                ": event ", at, " is not in the log"));
      }
      holder = std::move(read->front());
    }
    absl::StatusOr<v1::PersonalData> personal = context.personal->Reveal(holder);
    if (!personal.ok()) return personal.status();
    if (!personal->has_birth_date()) return std::nullopt;
    return personal->birth_date();
  };

  size_t index = 0;
  while (index < events.size()) {
    const v1::Envelope& head = events[index];
    absl::Status status = projections::CheckBusinessTimeNotAhead(
        head.occurred_at_us(), context.now_us, scratch->policies().policy());
    if (!status.ok()) return AtEvent(index, status);
    absl::StatusOr<EventDecision> decision =
        DecideEvent(head, *scratch, versions.at(head.stream_id()), birth_date);
    if (!decision.ok()) return AtEvent(index, Refusal(decision.status()));
    const projections::Events& decided = decision->events;
    for (size_t k = 0; k < decided.size(); ++k) {
      if (index + k == events.size()) {
        std::vector<std::string> types;
        for (const v1::Envelope& envelope : decided) types.push_back(TypeOf(envelope));
        return AtEvent(index, absl::InvalidArgumentError(absl::StrCat(
                                  decision->command, " emits ", absl::StrJoin(types, ", "),
                                  " here; the batch ends before ", TypeOf(decided[k]), " (key ",
                                  Quoted(decided[k].idempotency_key()),
                                  "), which must follow in the same batch")));
      }
      status = CompareWithDecision(events[index + k], decided[k], decision->command);
      if (!status.ok()) return AtEvent(index + k, status);
    }
    for (size_t k = 0; k < decided.size(); ++k, ++index) {
      v1::Envelope positioned = events[index];
      positioned.set_sequence(++sequence);
      positioned.set_stream_version(++versions.at(positioned.stream_id()));
      positioned.set_recorded_at_us(context.now_us);
      status = CheckSealedPersonal(positioned, *context.personal);
      if (!status.ok()) return AtEvent(index, status);
      std::string member_id;
      const v1::Personal* personal = PersonalOf(positioned, &member_id);
      if (personal != nullptr && personal->form_case() != v1::Personal::FORM_NOT_SET) {
        batch_personal[sequence] = positioned;
      }
      if (positioned.event().has_member_erased()) {
        checked.erased_member_ids.push_back(positioned.event().member_erased().member_id());
      }
      status = scratch->Apply(positioned);
      if (!status.ok()) return AtEvent(index, status);
    }
  }
  return checked;
}

}  // namespace loyalty::internal
