// The text and JSON forms of the engine's views, as the loyalty tool prints
// them. Plain functions of the views, so that they are tested without an
// engine; docs/cli.md shows the output of each.
//
// Text is for people: labelled lines and aligned tables, money in yuan with
// two decimals ("1234.56 CNY"), rates as percentages, times in RFC 3339 in
// the mall's time zone (UTC+8). JSON is for programs: one object on one line,
// keys in a fixed order, money as integer fen, points and counts as integers,
// each time both as an RFC 3339 string and as "<name>_us" microseconds.
// Every function returns whole lines, the last ending in "\n".
#ifndef LOYALTY_CLI_REPORTS_H_
#define LOYALTY_CLI_REPORTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "loyalty/engine.h"
#include "loyalty/views.h"

namespace loyalty::cli {

std::string MemberText(const MemberView& member);
std::string MemberJson(const MemberView& member);

// Member counts per tier.
std::string TiersText(const ProgramView& program);
std::string TiersJson(const ProgramView& program);

// Outstanding points, debt and members.
std::string LiabilityText(const ProgramView& program);
std::string LiabilityJson(const ProgramView& program);

// One row per partner.
std::string PartnersText(const ProgramView& program);
std::string PartnersJson(const ProgramView& program);

// One line per projection, in the given order: its name and its digest in
// 64 hex digits, aligned. Nothing else, so that the lines of `digests` and
// `rebuild` compare with diff.
std::string DigestsText(const std::vector<ProjectionDigest>& digests);
// {"digests":[{"name":...,"digest":...}],...}; the as-of keys only for a
// ProgramView.
std::string DigestsJson(const ProgramView& program);
// {"digests":[...],"as_of_sequence":N,"anomalies":A}.
std::string RebuildJson(const std::vector<ProjectionDigest>& digests, uint64_t as_of_sequence,
                        uint64_t anomalies);

// "anomalies: N (see `loyalty anomalies`)": the line `verify` prints, and
// `rebuild` when N is not 0.
std::string AnomalyCountLine(uint64_t anomalies);
// The events the projections applied only as far as a rule allowed: a line
// "anomalies: N", then a table with a header, one row per anomaly listed:
// sequence, stream, projection, rule and message; then the as-of line.
std::string AnomaliesText(const AnomaliesView& anomalies);
// {"anomalies":[{"sequence":..,"stream_id":..,"projection":..,"rule":..,
// "message":..}],"count":N,"as_of_sequence":S}.
std::string AnomaliesJson(const AnomaliesView& anomalies);

// One complaint: who, what and where, its state, its cycles (resolution,
// goodwill, the customer's answer) and its SLA clocks with their deadlines
// and statuses.
std::string ComplaintText(const ComplaintView& complaint);
std::string ComplaintJson(const ComplaintView& complaint);

// The SLA report: totals, compliance by deadline month, partner and
// category, and the open clocks nearest their deadline. `window_given`
// says whether --from/--to chose the window (otherwise "all cycles").
std::string SlaReportText(const SlaReportView& report, bool window_given);
std::string SlaReportJson(const SlaReportView& report, bool window_given);

// A deadline asked for by hand: `working_days` working days after from_us.
std::string DeadlineText(int64_t from_us, int64_t working_days, int64_t due_us);
std::string DeadlineJson(int64_t from_us, int64_t working_days, int64_t due_us);

// The outcome of loading a calendar file: its source, covered year and
// days; `result` is null when the calendar was already loaded (nothing
// appended).
std::string CalendarLoadText(const v1::CalendarDaysDeclared& declaration,
                             const CommandResult* result);
std::string CalendarLoadJson(const v1::CalendarDaysDeclared& declaration,
                             const CommandResult* result);

// The outcome of a birthday run for local day `day`, at `occurred_at_us`.
// A deduplicated result (a retry of a run already appended) granted nothing.
std::string BirthdaysText(absl::CivilDay day, const CommandResult& result);
std::string BirthdaysJson(absl::CivilDay day, int64_t occurred_at_us, const CommandResult& result);

// The channel and purpose names of `loyalty contactable`: "sms", "email";
// "birthday-care", "offers".
std::string ContactChannelName(ContactChannel channel);
std::string ContactPurposeName(ContactPurpose purpose);
// The inverse; InvalidArgument naming the value and the names there are
// (and, for "phone", that no consent to calls is recorded).
absl::StatusOr<ContactChannel> ParseContactChannel(absl::string_view name);
absl::StatusOr<ContactPurpose> ParseContactPurpose(absl::string_view name);

// "contactable by sms for offers: 2", one member id a line, and the sequence
// it is as of.
std::string ContactableText(const ContactableView& view);
std::string ContactableJson(const ContactableView& view);

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_REPORTS_H_
