#include "projections/home_stream.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "projections/member_time.h"

namespace loyalty::projections {

bool ComplaintIdOf(const v1::Event& event, absl::string_view* complaint_id) {
  switch (event.kind_case()) {
    case v1::Event::kComplaintFiled:
      *complaint_id = event.complaint_filed().complaint_id();
      return true;
    case v1::Event::kComplaintReplied:
      *complaint_id = event.complaint_replied().complaint_id();
      return true;
    case v1::Event::kComplaintInvestigationStarted:
      *complaint_id = event.complaint_investigation_started().complaint_id();
      return true;
    case v1::Event::kComplaintResolved:
      *complaint_id = event.complaint_resolved().complaint_id();
      return true;
    case v1::Event::kCustomerNotified:
      *complaint_id = event.customer_notified().complaint_id();
      return true;
    case v1::Event::kCustomerConfirmed:
      *complaint_id = event.customer_confirmed().complaint_id();
      return true;
    default:
      return false;
  }
}

namespace {

// An event whose home stream is `prefix` followed by the `field` it names
// (`id`); a fixed stream when `field` is empty.
bool Misplaced(const v1::Envelope& envelope, absl::string_view field, absl::string_view prefix,
               absl::string_view id, AnomalyLog* anomalies) {
  if (!field.empty() && id.empty()) {
    if (anomalies != nullptr) {
      anomalies->Record(envelope, anomaly_rule::kMissingId,
                        absl::StrCat(field, " is empty; the event is not applied"));
    }
    return true;
  }
  if (IsStreamOf(envelope.stream_id(), prefix, id)) return false;
  if (anomalies != nullptr) {
    anomalies->Record(envelope, anomaly_rule::kStreamMismatch,
                      absl::StrCat("belongs on stream ", QuotedForAnomaly(absl::StrCat(prefix, id)),
                                   ", not ", QuotedForAnomaly(envelope.stream_id()),
                                   "; the event is not applied"));
  }
  return true;
}

}  // namespace

bool IsStreamOf(absl::string_view stream_id, absl::string_view prefix, absl::string_view id) {
  return stream_id.size() == prefix.size() + id.size() && absl::StartsWith(stream_id, prefix) &&
         absl::EndsWith(stream_id, id);
}

bool RecordIfMisplaced(const v1::Envelope& envelope, AnomalyLog* anomalies) {
  const v1::Event& event = envelope.event();
  if (IsMemberStreamKind(event)) {
    return Misplaced(envelope, "member_id", "member-", MemberIdNamedBy(event), anomalies);
  }
  absl::string_view complaint_id;
  if (ComplaintIdOf(event, &complaint_id)) {
    return Misplaced(envelope, "complaint_id", "complaint-", complaint_id, anomalies);
  }
  if (event.has_policy_set()) return Misplaced(envelope, "", "policy", "", anomalies);
  if (event.has_calendar_days_declared()) return Misplaced(envelope, "", "calendar", "", anomalies);
  return false;
}

}  // namespace loyalty::projections
