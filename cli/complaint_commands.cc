// loyalty calendar, complaint and sla: the working-day calendar, one
// complaint and the SLA report, through the Engine.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "cli/as_of.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/ledger_io.h"
#include "cli/report_format.h"
#include "cli/reports.h"
#include "loyalty/clock.h"
#include "loyalty/commands.h"
#include "loyalty/engine.h"
#include "loyalty/limits.h"
#include "loyalty/views.h"

namespace loyalty::cli {
namespace {

constexpr char kDefaultCalendarActor[] = "calendar-admin";

// The window of `sla report` without --from and --to: every cycle (a
// deadline falls on a day the calendar can declare).
const absl::CivilDay kFirstDay(kMinCalendarYear, 1, 1);
const absl::CivilDay kLastDay(kMaxCalendarYear, 12, 31);

// The text of `path`, at most kMaxCalendarFileBytes + 1 bytes of it: one
// byte more than the limit, so that the parser names the limit rather than
// a cut-off line.
absl::StatusOr<std::string> ReadCalendarFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("calendar load: cannot read ", path, ": ", std::strerror(errno)));
  }
  std::string content;
  char buffer[64 * 1024];
  size_t read = 0;
  while (content.size() <= kMaxCalendarFileBytes &&
         (read = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    content.append(buffer, read);
  }
  const bool failed = std::ferror(file) != 0;
  const int error_number = errno;
  std::fclose(file);
  if (failed) {
    const std::string message =
        absl::StrCat("calendar load: cannot read ", path, ": ", std::strerror(error_number));
    return error_number == EISDIR ? absl::InvalidArgumentError(message)
                                  : absl::UnavailableError(message);
  }
  return content;
}

int RunCalendarLoad(CommandContext& context, const std::string& path,
                    const std::string& actor_id, bool json) {
  if (actor_id.empty() || actor_id.size() > kMaxActorIdBytes) {
    return ReportError(absl::InvalidArgumentError(absl::StrCat(
        "calendar load: flag --actor: \"", actor_id, "\" must be 1 to ", kMaxActorIdBytes,
        " bytes long")));
  }
  absl::StatusOr<std::string> text = ReadCalendarFile(path);
  if (!text.ok()) return ReportError(text.status());
  // The file is checked whole before the ledger is opened.
  absl::StatusOr<v1::CalendarDaysDeclared> declaration = ParseCalendarFile(*text);
  if (!declaration.ok()) {
    return ReportError(absl::Status(declaration.status().code(),
                                    absl::StrCat(path, ": ", declaration.status().message())));
  }
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  DeclareCalendarDays command;
  command.declaration = *declaration;
  command.occurred_at_us = DefaultClock()->NowMicros();
  command.actor_id = actor_id;
  absl::StatusOr<CommandResult> result = (*engine)->Execute(command);
  if (absl::IsAlreadyExists(result.status())) {
    // Loading a file again is not an error: it is already done.
    Print(json ? CalendarLoadJson(*declaration, nullptr) : CalendarLoadText(*declaration, nullptr));
    return kExitOk;
  }
  if (!result.ok()) return ReportError(result.status());
  Print(json ? CalendarLoadJson(*declaration, &*result) : CalendarLoadText(*declaration, &*result));
  return kExitOk;
}

int RunCalendarDue(CommandContext& context, const FlagSet& flags, const std::string& from,
                   uint64_t working_days, bool json) {
  if (!flags.WasSet("from") || !flags.WasSet("working-days")) {
    return ReportError(absl::InvalidArgumentError(
        "calendar due: flags --from TIME and --working-days N are required (see `loyalty help "
        "calendar`)"));
  }
  absl::StatusOr<int64_t> from_us = ParseAsOfTimeUs(from);
  if (!from_us.ok()) {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("calendar due: flag --from: ", from_us.status().message())));
  }
  if (working_days == 0 || working_days > static_cast<uint64_t>(kMaxPolicyDays)) {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("calendar due: flag --working-days: ", working_days, " is not in [1, ",
                     kMaxPolicyDays, "]")));
  }
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      OpenEngineForReading(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  const int64_t days = static_cast<int64_t>(working_days);
  absl::StatusOr<int64_t> due_us = (*engine)->WorkingDayDeadline(*from_us, days);
  if (!due_us.ok()) {
    return ReportError(absl::Status(due_us.status().code(),
                                    absl::StrCat("calendar due: ", due_us.status().message())));
  }
  Print(json ? DeadlineJson(*from_us, days, *due_us) : DeadlineText(*from_us, days, *due_us));
  return kExitOk;
}

}  // namespace

int RunCalendar(CommandContext& context) {
  std::string actor_id = kDefaultCalendarActor;
  std::string from;
  uint64_t working_days = 0;
  bool json = false;
  FlagSet flags = context.NewFlagSet();
  flags.String("actor", "ID",
               absl::StrCat("load: who loads the file, recorded on the event (default: ",
                            kDefaultCalendarActor, ")"),
               &actor_id);
  flags.String("from", "TIME",
               "due: the instant the count starts from: RFC 3339, or YYYY-MM-DD (that day)",
               &from);
  flags.Uint64("working-days", "N",
               absl::StrCat("due: how many working days, 1 to ", kMaxPolicyDays), &working_days);
  flags.Bool("json", "print one JSON object instead of text", &json);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 1, 2, &positional)) return *done;
  const std::string& subcommand = positional[0];
  if (subcommand == "load") {
    if (positional.size() != 2) {
      return ReportError(absl::InvalidArgumentError(
          "calendar load: missing argument FILE (see `loyalty help calendar`)"));
    }
    if (flags.WasSet("from") || flags.WasSet("working-days")) {
      return ReportError(absl::InvalidArgumentError(
          "calendar load: flags --from and --working-days belong to `calendar due`"));
    }
    return RunCalendarLoad(context, positional[1], actor_id, json);
  }
  if (subcommand == "due") {
    if (positional.size() != 1) {
      return ReportError(absl::InvalidArgumentError(absl::StrCat(
          "calendar due: unexpected argument \"", positional[1], "\" (see `loyalty help calendar`)")));
    }
    if (flags.WasSet("actor")) {
      return ReportError(
          absl::InvalidArgumentError("calendar due: flag --actor belongs to `calendar load`"));
    }
    return RunCalendarDue(context, flags, from, working_days, json);
  }
  return ReportError(absl::InvalidArgumentError(absl::StrCat(
      "calendar: unknown subcommand \"", subcommand,
      "\": the subcommands are `calendar load FILE` and `calendar due` (see `loyalty help "
      "calendar`)")));
}

int RunComplaint(CommandContext& context) {
  AsOfFlags as_of_flags;
  bool json = false;
  FlagSet flags = context.NewFlagSet();
  AddAsOfFlags(flags, &as_of_flags);
  flags.Bool("json", "print one JSON object instead of text", &json);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 2, 2, &positional)) return *done;
  if (positional[0] != "show") {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("complaint: unknown subcommand \"", positional[0],
                     "\": the only one is `complaint show ID` (see `loyalty help complaint`)")));
  }
  const std::string& complaint_id = positional[1];
  if (complaint_id.empty()) {
    return ReportError(absl::InvalidArgumentError("complaint show: ID must not be empty"));
  }
  absl::StatusOr<AsOf> as_of = AsOfFromFlags("complaint show", flags, as_of_flags);
  if (!as_of.ok()) return ReportError(as_of.status());
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      OpenEngineForReading(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  absl::StatusOr<ComplaintView> complaint = (*engine)->Complaint(complaint_id, *as_of);
  if (!complaint.ok()) {
    if (absl::IsNotFound(complaint.status()) && as_of->kind() != AsOf::Kind::kNow) {
      return ReportError(absl::NotFoundError(
          absl::StrCat(complaint.status().message(), " at ", AsOfFlagText(*as_of, as_of_flags))));
    }
    return ReportError(complaint.status());
  }
  Print(json ? ComplaintJson(*complaint) : ComplaintText(*complaint));
  return kExitOk;
}

int RunSla(CommandContext& context) {
  AsOfFlags as_of_flags;
  std::string from;
  std::string to;
  bool json = false;
  FlagSet flags = context.NewFlagSet();
  AddAsOfFlags(flags, &as_of_flags);
  flags.String("from", "YYYY-MM-DD", "the first local day of the window (with --to)", &from);
  flags.String("to", "YYYY-MM-DD", "the last local day of the window (with --from)", &to);
  flags.Bool("json", "print one JSON object instead of text", &json);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 1, 1, &positional)) return *done;
  if (positional[0] != "report") {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("sla: unknown subcommand \"", positional[0],
                     "\": the only one is `sla report` (see `loyalty help sla`)")));
  }
  const bool window_given = flags.WasSet("from") || flags.WasSet("to");
  if (window_given && !(flags.WasSet("from") && flags.WasSet("to"))) {
    return ReportError(absl::InvalidArgumentError(
        "sla report: flag --from and --to: give both or neither (neither: every cycle)"));
  }
  absl::CivilDay from_day = kFirstDay;
  absl::CivilDay to_day = kLastDay;
  if (window_given) {
    absl::StatusOr<absl::CivilDay> parsed_from = ParseLocalDate(from);
    if (!parsed_from.ok()) {
      return ReportError(absl::InvalidArgumentError(
          absl::StrCat("sla report: flag --from: ", parsed_from.status().message())));
    }
    absl::StatusOr<absl::CivilDay> parsed_to = ParseLocalDate(to);
    if (!parsed_to.ok()) {
      return ReportError(absl::InvalidArgumentError(
          absl::StrCat("sla report: flag --to: ", parsed_to.status().message())));
    }
    if (*parsed_from > *parsed_to) {
      return ReportError(absl::InvalidArgumentError(
          absl::StrCat("sla report: flag --from ", from, " is after --to ", to)));
    }
    from_day = *parsed_from;
    to_day = *parsed_to;
  }
  absl::StatusOr<AsOf> as_of = AsOfFromFlags("sla report", flags, as_of_flags);
  if (!as_of.ok()) return ReportError(as_of.status());
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      OpenEngineForReading(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  absl::StatusOr<SlaReportView> report = (*engine)->SlaReport(from_day, to_day, *as_of);
  if (!report.ok()) return ReportError(report.status());
  Print(json ? SlaReportJson(*report, window_given) : SlaReportText(*report, window_given));
  if (IsTimeAxis(*as_of) && report->cycles == 0) {
    ReportNotice("sla report",
                 NothingByThenHint(
                     *as_of, as_of_flags,
                     report->as_of_sequence == 0 ? "nothing" : "no complaint cycle in the window"));
  }
  return kExitOk;
}

}  // namespace loyalty::cli
