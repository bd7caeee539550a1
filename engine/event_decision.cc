#include "engine/event_decision.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "loyalty/audit.h"
#include "loyalty/commands.h"
#include "projections/complaint_deciders.h"
#include "projections/local_time.h"
#include "projections/survey_deciders.h"
#include "util/sha256.h"

namespace loyalty::internal {
namespace {

using projections::Events;

std::string Quoted(absl::string_view value) {
  return absl::StrCat("\"", absl::CHexEscape(value.substr(0, 80)),
                      value.size() > 80 ? "...\"" : "\"");
}

absl::StatusOr<EventDecision> Decided(std::string command, absl::StatusOr<Events> events) {
  if (!events.ok()) return events.status();
  return EventDecision{std::move(command), *std::move(events)};
}

// The id a key "<prefix><id>" carries; InvalidArgument naming the form.
absl::StatusOr<std::string> IdFromKey(const v1::Envelope& envelope, absl::string_view prefix,
                                      absl::string_view what) {
  absl::string_view key = envelope.idempotency_key();
  if (!absl::ConsumePrefix(&key, prefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("idempotency_key: ", Quoted(envelope.idempotency_key()), ": ", what,
                     " is keyed \"", prefix, "<id>\""));
  }
  return std::string(key);
}

absl::Status NoCommandMakes(absl::string_view what, absl::string_view instead) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " is not an event any engine command makes", instead));
}

// ---------------------------------------------------------------- points

absl::StatusOr<EventDecision> DecideAdjustment(const v1::Envelope& head, const ProjectionSet& set,
                                               AdjustmentDirection direction,
                                               const std::string& member_id, int64_t points,
                                               const std::string& note) {
  absl::StatusOr<std::string> id = IdFromKey(head, "adjust/", "a manual adjustment");
  if (!id.ok()) return id.status();
  Adjust command{*id, member_id, direction, points, note, head.occurred_at_us(), head.actor_id()};
  return Decided("Adjust", projections::DecideAdjust(set.decision_state(), command));
}

// Why the birthday job grants `member_id` nothing for `year` on the day of
// `head`. Names the month of the due day, never the day of the birthday.
absl::Status NoBirthdayGrant(const v1::Envelope& head, const ProjectionSet& set,
                             const std::string& member_id, int64_t year,
                             const std::optional<v1::LocalDate>& birth_date) {
  const absl::CivilDay day = projections::LocalDayOf(head.occurred_at_us());
  const std::string prefix =
      absl::StrCat("points_granted: the birthday job on ", absl::FormatCivilTime(day),
                   " grants member ", Quoted(member_id), " nothing for ", year, ": ");
  const projections::MemberAccount* account = set.balances().FindMember(member_id);
  if (account != nullptr && account->erased) {
    return absl::FailedPreconditionError(absl::StrCat(prefix, "the member is erased"));
  }
  if (account != nullptr && account->birthday_grants.contains(static_cast<int32_t>(year))) {
    return absl::FailedPreconditionError(
        absl::StrCat(prefix, "the bonus of ", year, " is granted already"));
  }
  if (year != day.year() && year != day.year() - 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        prefix, "a run grants the bonuses of its own year and of the year before only"));
  }
  if (account != nullptr &&
      projections::LocalDayOf(account->enrolled_at_us) > absl::CivilDay(year, 12, 31)) {
    return absl::FailedPreconditionError(
        absl::StrCat(prefix, "the member enrolled after the end of ", year));
  }
  if (!birth_date.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(prefix, "no birth date is on record"));
  }
  absl::StatusOr<absl::CivilDay> due = projections::BirthdayBonusDueDay(*birth_date, year);
  if (!due.ok()) return due.status();
  return absl::FailedPreconditionError(
      absl::StrCat(prefix, "the bonus is due on ", absl::FormatCivilTime(*due),
                   ", the last day of the birth month"));
}

absl::StatusOr<EventDecision> DecideBirthdayGrant(const v1::Envelope& head,
                                                  const ProjectionSet& set,
                                                  BirthDateLookup birth_date) {
  const v1::PointsGranted& granted = head.event().points_granted();
  const std::string& member_id = granted.member_id();
  if (set.balances().FindMember(member_id) == nullptr) {
    return absl::NotFoundError(absl::StrCat("member_id: ", Quoted(member_id), " is not enrolled"));
  }
  absl::StatusOr<std::optional<v1::LocalDate>> date = birth_date(member_id);
  if (!date.ok()) return date.status();
  projections::BirthDates dates;
  if (date->has_value()) dates[member_id] = **date;
  GrantBirthdayBonuses command{head.occurred_at_us(), head.actor_id()};
  absl::StatusOr<Events> events =
      projections::DecideBirthdayBonuses(set.decision_state(), command, dates);
  if (!events.ok()) return events.status();
  // The job may grant the member two years' bonuses on one day; the event
  // is the one of its year.
  for (v1::Envelope& event : *events) {
    if (event.event().points_granted().birthday_year() == granted.birthday_year()) {
      return EventDecision{"GrantBirthdayBonuses", Events{std::move(event)}};
    }
  }
  return NoBirthdayGrant(head, set, member_id, granted.birthday_year(), *date);
}

absl::StatusOr<EventDecision> DecidePointsGranted(const v1::Envelope& head,
                                                  const ProjectionSet& set,
                                                  BirthDateLookup birth_date) {
  const v1::PointsGranted& granted = head.event().points_granted();
  switch (granted.reason()) {
    case v1::GRANT_REASON_ADJUSTMENT:
      return DecideAdjustment(head, set, AdjustmentDirection::kGrant, granted.member_id(),
                              granted.points(), granted.note());
    case v1::GRANT_REASON_BIRTHDAY:
      return DecideBirthdayGrant(head, set, birth_date);
    case v1::GRANT_REASON_PURCHASE:
      return absl::InvalidArgumentError(
          "points_granted: points of a purchase (reason GRANT_REASON_PURCHASE) "
          "are granted only "
          "by RecordPurchase, right after their purchase_recorded in the same "
          "batch, and only as "
          "many as the earning rule gives");
    case v1::GRANT_REASON_GOODWILL:
      return absl::InvalidArgumentError(
          "points_granted: goodwill points (reason GRANT_REASON_GOODWILL) are "
          "granted only by "
          "ResolveComplaint, right after their complaint_resolved in the same "
          "batch");
    default:
      return NoCommandMakes(
          absl::StrCat("points_granted with reason ", v1::GrantReason_Name(granted.reason())),
          " (grants have reason GRANT_REASON_ADJUSTMENT, keyed "
          "\"adjust/<id>\", or come with a "
          "purchase, a resolution or the birthday job)");
  }
}

absl::StatusOr<EventDecision> DecidePointsDebited(const v1::Envelope& head,
                                                  const ProjectionSet& set) {
  const v1::PointsDebited& debited = head.event().points_debited();
  switch (debited.reason()) {
    case v1::DEBIT_REASON_ADJUSTMENT:
      return DecideAdjustment(head, set, AdjustmentDirection::kDebit, debited.member_id(),
                              debited.points(), debited.note());
    case v1::DEBIT_REASON_CLAWBACK:
      return absl::InvalidArgumentError(
          "points_debited: a clawback (reason DEBIT_REASON_CLAWBACK) is debited "
          "only by "
          "RecordRefund, right after its refund_recorded in the same batch, and "
          "only as much as "
          "the refund claws back");
    default:
      return NoCommandMakes(
          absl::StrCat("points_debited with reason ", v1::DebitReason_Name(debited.reason())),
          " (debits have reason DEBIT_REASON_ADJUSTMENT, keyed "
          "\"adjust/<id>\", or come with a "
          "refund)");
  }
}

// ---------------------------------------------------------------- members

// Profile and consent changes: no command makes them, so their rules are
// here: on the member's own stream, for an enrolled member not erased.
absl::StatusOr<EventDecision> CheckMemberUpdate(const v1::Envelope& head, const ProjectionSet& set,
                                                const std::string& member_id) {
  const projections::MemberAccount* account = set.balances().FindMember(member_id);
  if (account == nullptr) {
    return absl::NotFoundError(absl::StrCat("member_id: ", Quoted(member_id), " is not enrolled"));
  }
  if (account->erased) {
    return absl::FailedPreconditionError(
        absl::StrCat("member_id: ", Quoted(member_id), " is erased"));
  }
  const std::string stream_id = projections::MemberStreamId(member_id);
  if (head.stream_id() != stream_id) {
    return absl::InvalidArgumentError(absl::StrCat("stream_id: ", Quoted(head.stream_id()),
                                                   " is not the stream of member ",
                                                   Quoted(member_id), " (", stream_id, ")"));
  }
  return EventDecision{"member update", Events{head}};
}

// ---------------------------------------------------------------- schema

// What the audit side needs of a SchemaRegistered (audit/schema_history.cc):
// on the schema stream, keyed "schema/<position>/<sha256 hex>" as
// RecordBuiltInSchema keys it, a descriptor set that builds and defines the
// envelope (auditors decode the log with it) and its true SHA-256.
absl::StatusOr<EventDecision> CheckSchemaRegistered(const v1::Envelope& head,
                                                    uint64_t stream_version) {
  if (head.stream_id() != audit::kSchemaStreamId) {
    return absl::InvalidArgumentError(absl::StrCat("stream_id: ", Quoted(head.stream_id()),
                                                   ": schema_registered goes on the stream \"",
                                                   audit::kSchemaStreamId, "\""));
  }
  const v1::SchemaRegistered& registered = head.event().schema_registered();
  google::protobuf::FileDescriptorSet files;
  if (!files.ParseFromString(registered.descriptor_set())) {
    return absl::InvalidArgumentError(
        "event.schema_registered.descriptor_set: "
        "is not a serialized FileDescriptorSet");
  }
  struct Silent : google::protobuf::DescriptorPool::ErrorCollector {
    void AddError(const std::string&, const std::string&, const google::protobuf::Message*,
                  ErrorLocation, const std::string& message) override {
      if (first.empty()) first = message;
    }
    std::string first;
  } errors;
  google::protobuf::DescriptorPool pool;
  for (const google::protobuf::FileDescriptorProto& file : files.file()) {
    if (pool.BuildFileCollectingErrors(file, &errors) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "event.schema_registered.descriptor_set: file ", Quoted(file.name()), " does not build (",
          errors.first, "); a set lists each file after its imports"));
    }
  }
  if (pool.FindMessageTypeByName(v1::Envelope::descriptor()->full_name()) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("event.schema_registered.descriptor_set: defines no ",
                     v1::Envelope::descriptor()->full_name(), ", which decodes the log"));
  }
  const std::string& bytes = registered.descriptor_set();
  const std::string sha256(util::DigestBytes(util::Sha256(bytes)));
  if (registered.descriptor_set_sha256() != sha256) {
    return absl::InvalidArgumentError(
        absl::StrCat("event.schema_registered.descriptor_set_sha256: is not "
                     "the SHA-256 of the "
                     "descriptor set, ",
                     absl::BytesToHexString(sha256)));
  }
  v1::Envelope decided = head;
  decided.set_idempotency_key(
      absl::StrCat("schema/", stream_version + 1, "/", absl::BytesToHexString(sha256)));
  return EventDecision{"schema record", Events{std::move(decided)}};
}

// ---------------------------------------------------------------- others

absl::StatusOr<EventDecision> DecideComplaintEvent(const v1::Envelope& head,
                                                   const ProjectionSet& set) {
  const v1::Event& event = head.event();
  const int64_t at = head.occurred_at_us();
  const std::string& actor = head.actor_id();
  const projections::ComplaintDecisionState state = set.complaint_decision_state();
  switch (event.kind_case()) {
    case v1::Event::kComplaintFiled: {
      const v1::ComplaintFiled& filed = event.complaint_filed();
      FileComplaint command{filed.complaint_id(),
                            filed.member_id(),
                            filed.partner_id(),
                            filed.category(),
                            filed.channel(),
                            at,
                            actor};
      return Decided("FileComplaint", projections::DecideFileComplaint(state, command));
    }
    case v1::Event::kComplaintReplied: {
      const v1::ComplaintReplied& replied = event.complaint_replied();
      ReplyToComplaint command{replied.complaint_id(), replied.channel(), at, actor};
      return Decided("ReplyToComplaint", projections::DecideReplyToComplaint(state, command));
    }
    case v1::Event::kComplaintInvestigationStarted: {
      StartInvestigation command{event.complaint_investigation_started().complaint_id(), at, actor};
      return Decided("StartInvestigation", projections::DecideStartInvestigation(state, command));
    }
    case v1::Event::kComplaintResolved: {
      const v1::ComplaintResolved& resolved = event.complaint_resolved();
      ResolveComplaint command{resolved.complaint_id(), resolved.resolution(),
                               resolved.goodwill_points(), at, actor};
      return Decided("ResolveComplaint", projections::DecideResolveComplaint(state, command));
    }
    case v1::Event::kCustomerNotified: {
      const v1::CustomerNotified& notified = event.customer_notified();
      NotifyCustomer command{notified.complaint_id(), notified.channel(), at, actor};
      return Decided("NotifyCustomer", projections::DecideNotifyCustomer(state, command));
    }
    default: {
      const v1::CustomerConfirmed& confirmed = event.customer_confirmed();
      ConfirmResolution command{confirmed.complaint_id(), confirmed.satisfied(),
                                confirmed.satisfaction_score(), at, actor};
      return Decided("ConfirmResolution", projections::DecideConfirmResolution(state, command));
    }
  }
}

}  // namespace

absl::StatusOr<EventDecision> DecideEvent(const v1::Envelope& head, const ProjectionSet& set,
                                          uint64_t stream_version, BirthDateLookup birth_date) {
  const v1::Event& event = head.event();
  const int64_t at = head.occurred_at_us();
  const std::string& actor = head.actor_id();
  switch (event.kind_case()) {
    case v1::Event::kMemberEnrolled: {
      const v1::MemberEnrolled& enrolled = event.member_enrolled();
      EnrolMember command{enrolled.member_id(),
                          enrolled.personal(),
                          enrolled.consent(),
                          enrolled.channel(),
                          at,
                          actor};
      return Decided("EnrolMember", projections::DecideEnrolMember(set.decision_state(), command));
    }
    case v1::Event::kMemberErased: {
      const v1::MemberErased& erased = event.member_erased();
      EraseMember command{erased.member_id(), erased.reason(), at, actor};
      return Decided("EraseMember", projections::DecideEraseMember(set.decision_state(), command));
    }
    case v1::Event::kMemberProfileUpdated:
      return CheckMemberUpdate(head, set, event.member_profile_updated().member_id());
    case v1::Event::kConsentChanged:
      return CheckMemberUpdate(head, set, event.consent_changed().member_id());
    case v1::Event::kPurchaseRecorded: {
      const v1::PurchaseRecorded& purchase = event.purchase_recorded();
      RecordPurchase command{purchase.purchase_id(),
                             purchase.member_id(),
                             purchase.partner_id(),
                             purchase.amount_fen(),
                             purchase.category(),
                             at,
                             actor};
      return Decided("RecordPurchase",
                     projections::DecideRecordPurchase(set.decision_state(), command));
    }
    case v1::Event::kRefundRecorded: {
      const v1::RefundRecorded& refund = event.refund_recorded();
      RecordRefund command{refund.refund_id(), refund.purchase_id(), refund.amount_fen(), at,
                           actor};
      return Decided("RecordRefund",
                     projections::DecideRecordRefund(set.decision_state(), command));
    }
    case v1::Event::kPointsGranted:
      return DecidePointsGranted(head, set, birth_date);
    case v1::Event::kPointsRedeemed: {
      const v1::PointsRedeemed& redeemed = event.points_redeemed();
      Redeem command{redeemed.redemption_id(),
                     redeemed.member_id(),
                     redeemed.points(),
                     redeemed.reward(),
                     at,
                     actor};
      return Decided("Redeem", projections::DecideRedeem(set.decision_state(), command));
    }
    case v1::Event::kPointsDebited:
      return DecidePointsDebited(head, set);
    case v1::Event::kComplaintFiled:
    case v1::Event::kComplaintReplied:
    case v1::Event::kComplaintInvestigationStarted:
    case v1::Event::kComplaintResolved:
    case v1::Event::kCustomerNotified:
    case v1::Event::kCustomerConfirmed:
      return DecideComplaintEvent(head, set);
    case v1::Event::kSurveyAnswered: {
      const v1::SurveyAnswered& survey = event.survey_answered();
      RecordSurvey command{survey.survey_id(),
                           survey.member_id(),
                           survey.partner_id(),
                           survey.complaint_id(),
                           survey.score(),
                           at,
                           actor};
      return Decided("RecordSurvey",
                     projections::DecideRecordSurvey(set.survey_decision_state(), command));
    }
    case v1::Event::kCalendarDaysDeclared: {
      DeclareCalendarDays command{event.calendar_days_declared(), at, actor};
      return Decided("DeclareCalendarDays",
                     projections::DecideDeclareCalendarDays(set.calendar().calendar(), command));
    }
    case v1::Event::kPolicySet: {
      absl::StatusOr<std::string> id = IdFromKey(head, "policy/", "a policy change");
      if (!id.ok()) return id.status();
      SetPolicy command{*id, event.policy_set(), at, actor};
      return Decided("SetPolicy", projections::DecideSetPolicy(set.decision_state(), command));
    }
    case v1::Event::kSchemaRegistered:
      return CheckSchemaRegistered(head, stream_version);
    case v1::Event::kActivityAttended:
      return NoCommandMakes("activity_attended", "");
    default:
      return absl::InvalidArgumentError("event: no event type is set");
  }
}

bool ContinuesDecision(const v1::Envelope& envelope) {
  const v1::Event& event = envelope.event();
  return (event.has_points_granted() &&
          (event.points_granted().reason() == v1::GRANT_REASON_PURCHASE ||
           event.points_granted().reason() == v1::GRANT_REASON_GOODWILL)) ||
         (event.has_points_debited() &&
          event.points_debited().reason() == v1::DEBIT_REASON_CLAWBACK);
}

}  // namespace loyalty::internal
