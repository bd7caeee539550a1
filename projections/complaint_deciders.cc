// Deciders of complaints and of the working-day calendar.
#include "projections/complaint_deciders.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "projections/decider_support.h"
#include "loyalty/limits.h"
#include "projections/local_time.h"
#include "projections/replay.h"
#include "util/sha256.h"

namespace loyalty::projections {
namespace {

std::string LocalTimeText(int64_t instant_us) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S %Ez", absl::FromUnixMicros(instant_us),
                          LocalTimeZone());
}

// The complaint a step names, checked: its id, existence, the step's turn and
// the order of business time.
absl::StatusOr<const Complaint*> ComplaintForStep(const ComplaintDecisionState& state,
                                                  absl::string_view complaint_id,
                                                  ComplaintStep step, int64_t occurred_at_us,
                                                  bool reopens = false) {
  absl::Status status = CheckCommandId("complaint_id", complaint_id);
  if (!status.ok()) return status;
  const Complaint* complaint = state.complaints.FindComplaint(complaint_id);
  if (complaint == nullptr) {
    return absl::NotFoundError(absl::StrCat(ComplaintCommandName(step), ": complaint ",
                                            Quoted(complaint_id), " is not filed"));
  }
  status = CheckComplaintStep(complaint_id, *complaint, step, reopens);
  if (!status.ok()) return status;
  if (occurred_at_us < complaint->last_event_at_us) {
    return absl::FailedPreconditionError(absl::StrCat(
        ComplaintCommandName(step), ": occurred_at_us ", occurred_at_us, " (",
        LocalTimeText(occurred_at_us), ") is before the latest event of complaint ",
        Quoted(complaint_id), " (", LocalTimeText(complaint->last_event_at_us), ")"));
  }
  return complaint;
}

// "complaint/<id>/<cycle>/<what>": the cycle the step belongs to.
std::string StepKey(absl::string_view complaint_id, const Complaint& complaint,
                    absl::string_view what) {
  return absl::StrCat("complaint/", complaint_id, "/", complaint.cycles.size(), "/", what);
}

v1::Envelope StepEnvelope(absl::string_view complaint_id, const Complaint& complaint,
                          absl::string_view what, int64_t occurred_at_us,
                          absl::string_view actor_id) {
  return NewEnvelope(ComplaintStreamId(complaint_id), StepKey(complaint_id, complaint, what),
                     occurred_at_us, actor_id);
}

// First 16 hex digits of the SHA-256 of the declaration's deterministic bytes.
std::string DeclarationDigest(const v1::CalendarDaysDeclared& declaration) {
  const std::string bytes = SerializeDeterministic(declaration);
  return absl::BytesToHexString(util::DigestBytes(util::Sha256(bytes))).substr(0, 16);
}

}  // namespace

std::string ComplaintStreamId(absl::string_view complaint_id) {
  return absl::StrCat("complaint-", complaint_id);
}

absl::StatusOr<Events> DecideFileComplaint(const ComplaintDecisionState& state,
                                           const FileComplaint& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (status.ok()) status = CheckCommandId("complaint_id", command.complaint_id);
  if (status.ok()) status = CheckCommandId("category", command.category);
  if (status.ok() && !command.partner_id.empty()) {
    status = CheckCommandId("partner_id", command.partner_id);
  }
  if (!status.ok()) return status;
  absl::StatusOr<const MemberAccount*> account = FindEnrolled(state.balances, command.member_id);
  if (!account.ok()) return account.status();
  status = CheckNotErased(command.member_id, **account);
  if (!status.ok()) return status;
  if (state.complaints.FindComplaint(command.complaint_id) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("complaint_id: ", Quoted(command.complaint_id), " is already filed"));
  }
  v1::Envelope envelope = NewEnvelope(ComplaintStreamId(command.complaint_id),
                                      absl::StrCat("complaint/", command.complaint_id, "/filed"),
                                      command.occurred_at_us, command.actor_id);
  v1::ComplaintFiled& filed = *envelope.mutable_event()->mutable_complaint_filed();
  filed.set_complaint_id(command.complaint_id);
  filed.set_member_id(command.member_id);
  filed.set_partner_id(command.partner_id);
  filed.set_category(command.category);
  filed.set_channel(command.channel);
  return Events{std::move(envelope)};
}

absl::StatusOr<Events> DecideReplyToComplaint(const ComplaintDecisionState& state,
                                              const ReplyToComplaint& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (!status.ok()) return status;
  absl::StatusOr<const Complaint*> complaint = ComplaintForStep(
      state, command.complaint_id, ComplaintStep::kReply, command.occurred_at_us);
  if (!complaint.ok()) return complaint.status();
  v1::Envelope envelope = StepEnvelope(command.complaint_id, **complaint, "replied",
                                       command.occurred_at_us, command.actor_id);
  v1::ComplaintReplied& replied = *envelope.mutable_event()->mutable_complaint_replied();
  replied.set_complaint_id(command.complaint_id);
  replied.set_channel(command.channel);
  return Events{std::move(envelope)};
}

absl::StatusOr<Events> DecideStartInvestigation(const ComplaintDecisionState& state,
                                                const StartInvestigation& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (!status.ok()) return status;
  absl::StatusOr<const Complaint*> complaint = ComplaintForStep(
      state, command.complaint_id, ComplaintStep::kStartInvestigation, command.occurred_at_us);
  if (!complaint.ok()) return complaint.status();
  v1::Envelope envelope = StepEnvelope(command.complaint_id, **complaint, "investigating",
                                       command.occurred_at_us, command.actor_id);
  envelope.mutable_event()->mutable_complaint_investigation_started()->set_complaint_id(
      command.complaint_id);
  return Events{std::move(envelope)};
}

absl::StatusOr<Events> DecideResolveComplaint(const ComplaintDecisionState& state,
                                              const ResolveComplaint& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (status.ok()) status = CheckNote("resolution", command.resolution);
  if (status.ok() && command.goodwill_points != 0) {
    status = CheckPositive("goodwill_points", command.goodwill_points, kMaxPointsPerEvent);
  }
  if (!status.ok()) return status;
  absl::StatusOr<const Complaint*> complaint = ComplaintForStep(
      state, command.complaint_id, ComplaintStep::kResolve, command.occurred_at_us);
  if (!complaint.ok()) return complaint.status();
  const std::string& member_id = (*complaint)->member_id;
  if (command.goodwill_points > 0) {
    absl::StatusOr<const MemberAccount*> account = FindEnrolled(state.balances, member_id);
    if (!account.ok()) return account.status();
    status = CheckNotErased(member_id, **account);
    if (!status.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("goodwill_points: ", status.message(), "; resolve without goodwill"));
    }
  }
  Events events;
  v1::Envelope resolved_envelope = StepEnvelope(command.complaint_id, **complaint, "resolved",
                                                command.occurred_at_us, command.actor_id);
  v1::ComplaintResolved& resolved = *resolved_envelope.mutable_event()->mutable_complaint_resolved();
  resolved.set_complaint_id(command.complaint_id);
  resolved.set_resolution(command.resolution);
  resolved.set_goodwill_points(command.goodwill_points);
  events.push_back(std::move(resolved_envelope));
  if (command.goodwill_points > 0) {
    v1::Envelope grant_envelope =
        NewEnvelope(MemberStreamId(member_id),
                    StepKey(command.complaint_id, **complaint, "goodwill"),
                    command.occurred_at_us, command.actor_id);
    v1::PointsGranted& granted = *grant_envelope.mutable_event()->mutable_points_granted();
    granted.set_member_id(member_id);
    granted.set_points(command.goodwill_points);
    granted.set_reason(v1::GRANT_REASON_GOODWILL);
    granted.set_complaint_id(command.complaint_id);
    events.push_back(std::move(grant_envelope));
  }
  return events;
}

absl::StatusOr<Events> DecideNotifyCustomer(const ComplaintDecisionState& state,
                                            const NotifyCustomer& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (!status.ok()) return status;
  absl::StatusOr<const Complaint*> complaint = ComplaintForStep(
      state, command.complaint_id, ComplaintStep::kNotify, command.occurred_at_us);
  if (!complaint.ok()) return complaint.status();
  v1::Envelope envelope = StepEnvelope(command.complaint_id, **complaint, "notified",
                                       command.occurred_at_us, command.actor_id);
  v1::CustomerNotified& notified = *envelope.mutable_event()->mutable_customer_notified();
  notified.set_complaint_id(command.complaint_id);
  notified.set_channel(command.channel);
  return Events{std::move(envelope)};
}

absl::StatusOr<Events> DecideConfirmResolution(const ComplaintDecisionState& state,
                                               const ConfirmResolution& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (!status.ok()) return status;
  if (command.satisfaction_score < kNoSatisfactionScore ||
      command.satisfaction_score > kMaxSatisfactionScore) {
    return absl::InvalidArgumentError(absl::StrCat(
        "satisfaction_score: ", command.satisfaction_score, " is not in [", kNoSatisfactionScore,
        ", ", kMaxSatisfactionScore, "] (", kNoSatisfactionScore, ": not given)"));
  }
  absl::StatusOr<const Complaint*> complaint =
      ComplaintForStep(state, command.complaint_id, ComplaintStep::kConfirm,
                       command.occurred_at_us, /*reopens=*/!command.satisfied);
  if (!complaint.ok()) return complaint.status();
  v1::Envelope envelope = StepEnvelope(command.complaint_id, **complaint, "confirmed",
                                       command.occurred_at_us, command.actor_id);
  v1::CustomerConfirmed& confirmed = *envelope.mutable_event()->mutable_customer_confirmed();
  confirmed.set_complaint_id(command.complaint_id);
  confirmed.set_satisfied(command.satisfied);
  confirmed.set_satisfaction_score(command.satisfaction_score);
  return Events{std::move(envelope)};
}

absl::StatusOr<Events> DecideDeclareCalendarDays(const WorkingCalendar& calendar,
                                                 const DeclareCalendarDays& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (status.ok()) status = CheckCalendarDeclaration(command.declaration);
  if (!status.ok()) return status;
  const v1::CalendarDaysDeclared& declaration = command.declaration;
  if (calendar.WouldChangeNothing(declaration)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "calendar declaration of source \"", declaration.source(), "\"",
        declaration.covers_year() != 0 ? absl::StrCat(" covering ", declaration.covers_year())
                                       : std::string(),
        " is already loaded: every one of its ", declaration.days_size(),
        " days is declared so already"));
  }
  v1::Envelope envelope = NewEnvelope(
      kCalendarStreamId,
      absl::StrCat("calendar/", declaration.source(), "/", declaration.covers_year(), "/",
                   DeclarationDigest(declaration), "/", calendar.declarations_applied() + 1),
      command.occurred_at_us, command.actor_id);
  *envelope.mutable_event()->mutable_calendar_days_declared() = declaration;
  return Events{std::move(envelope)};
}

}  // namespace loyalty::projections
