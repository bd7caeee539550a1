// Deciders of complaints and of the working-day calendar: pure functions from
// (state, command) to the events to append, with the contract of deciders.h
// (envelopes in append order, one atomic batch, ledger-assigned fields unset;
// on a rejected command an error and no event). The commands are the public
// ones of loyalty/commands.h.
//
// Streams and idempotency keys (<n> is the cycle number, 1, 2, ...):
//   complaint-<complaint_id>  ComplaintFiled              complaint/<complaint_id>/filed
//                             ComplaintReplied            complaint/<complaint_id>/<n>/replied
//                             ComplaintInvestigationStarted
//                                                         complaint/<complaint_id>/<n>/investigating
//                             ComplaintResolved           complaint/<complaint_id>/<n>/resolved
//                             CustomerNotified            complaint/<complaint_id>/<n>/notified
//                             CustomerConfirmed           complaint/<complaint_id>/<n>/confirmed
//   member-<member_id>        PointsGranted (GOODWILL)    complaint/<complaint_id>/<n>/goodwill
//   calendar                  CalendarDaysDeclared        calendar/<source>/<covers_year>/<digest>/<k>
// where <digest> is the first 16 hex digits of the SHA-256 of the
// declaration's deterministic bytes and <k> is the number of declarations
// the calendar will have applied with this one: the same load retried
// before it is applied gets the same key (the ledger deduplicates it); the
// same file loaded again later, after other declarations changed some of
// its days, gets a new key and declares them again.
//
// A retry decided after its events were applied meets the state: a filing
// gets AlreadyExists; a step gets FailedPrecondition (the complaint has
// moved on); a calendar declaration that would change nothing gets
// AlreadyExists. The caller may treat AlreadyExists as success.
//
// Common errors of the complaint deciders:
//  InvalidArgument: occurred_at_us <= 0; an actor_id that is empty or longer
//    than kMaxActorIdBytes; a complaint, member or partner id or a category
//    that is empty (partner_id may be empty), longer than kMaxIdBytes or
//    holds a NUL byte.
//  NotFound: the complaint was never filed (or, for FileComplaint, the
//    member is not enrolled).
//  FailedPrecondition: the step is out of order (CheckComplaintStep in
//    complaints.h: the message names the command, the complaint, its state
//    and cycle); or occurred_at_us is before the complaint's latest event.
#ifndef LOYALTY_PROJECTIONS_COMPLAINT_DECIDERS_H_
#define LOYALTY_PROJECTIONS_COMPLAINT_DECIDERS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/commands.h"
#include "projections/balances.h"
#include "projections/calendar.h"
#include "projections/complaints.h"
#include "projections/deciders.h"

namespace loyalty::projections {

// The state the complaint deciders read. Not owned. Both must have applied
// the same prefix of the log.
struct ComplaintDecisionState {
  const BalanceProjection& balances;
  const ComplaintProjection& complaints;
};

// Files a complaint: ComplaintFiled. The member must be enrolled and not
// erased (FailedPrecondition); the category is required (1..kMaxIdBytes).
// AlreadyExists for a complaint id already filed. The reply deadline is
// counted when the event is applied; if the calendar does not cover the
// year it needs, the complaint is still filed and its deadline is "due
// unknown" until the schedule is loaded (complaints.h).
using FileComplaint = ::loyalty::FileComplaint;
absl::StatusOr<Events> DecideFileComplaint(const ComplaintDecisionState& state,
                                           const FileComplaint& command);

// ComplaintReplied, for a complaint filed or reopened.
using ReplyToComplaint = ::loyalty::ReplyToComplaint;
absl::StatusOr<Events> DecideReplyToComplaint(const ComplaintDecisionState& state,
                                              const ReplyToComplaint& command);

// ComplaintInvestigationStarted, for a complaint replied.
using StartInvestigation = ::loyalty::StartInvestigation;
absl::StatusOr<Events> DecideStartInvestigation(const ComplaintDecisionState& state,
                                                const StartInvestigation& command);

// ComplaintResolved, for a complaint investigating; with goodwill points,
// then PointsGranted (reason GOODWILL, complaint_id set) on the member's
// stream, in the same batch.
// InvalidArgument for an empty resolution or one over kMaxNoteBytes, or
// goodwill_points outside 0..kMaxPointsPerEvent; FailedPrecondition for
// goodwill to an erased member (resolving without goodwill is accepted).
using ResolveComplaint = ::loyalty::ResolveComplaint;
absl::StatusOr<Events> DecideResolveComplaint(const ComplaintDecisionState& state,
                                              const ResolveComplaint& command);

// CustomerNotified, for a complaint resolved.
using NotifyCustomer = ::loyalty::NotifyCustomer;
absl::StatusOr<Events> DecideNotifyCustomer(const ComplaintDecisionState& state,
                                            const NotifyCustomer& command);

// CustomerConfirmed, for a complaint whose customer was notified: satisfied
// closes it, dissatisfied reopens it (a new cycle from occurred_at).
// InvalidArgument for a satisfaction_score outside 0..5; FailedPrecondition
// for a dissatisfied answer when the complaint has kMaxComplaintCycles
// cycles.
using ConfirmResolution = ::loyalty::ConfirmResolution;
absl::StatusOr<Events> DecideConfirmResolution(const ComplaintDecisionState& state,
                                               const ConfirmResolution& command);

// CalendarDaysDeclared on stream "calendar", e.g. from ParseCalendarFile.
// `calendar` is CalendarProjection::calendar() (or the complaints'
// projection's, which applies the same events).
// InvalidArgument for a declaration CheckCalendarDeclaration rejects;
// AlreadyExists when every day is already declared so, by the same source,
// and the year it covers (if any) is already covered by that source.
using DeclareCalendarDays = ::loyalty::DeclareCalendarDays;
absl::StatusOr<Events> DecideDeclareCalendarDays(const WorkingCalendar& calendar,
                                                 const DeclareCalendarDays& command);

// "complaint-<complaint_id>".
std::string ComplaintStreamId(absl::string_view complaint_id);

// "calendar".
inline constexpr absl::string_view kCalendarStreamId = "calendar";

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_COMPLAINT_DECIDERS_H_
