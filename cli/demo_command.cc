// `loyalty demo`: a seeded year of a mall's program through the public API,
// then a short report of what the projections say about it.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/ledger_io.h"
#include "cli/report_format.h"
#include "cli/reports.h"
#include "demo/runner.h"
#include "loyalty/engine.h"
#include "loyalty/limits.h"
#include "loyalty/privacy.h"

namespace loyalty::cli {
namespace {

// Redraws one line on standard error, at most every 1% of the work.
class ProgressBar {
 public:
  explicit ProgressBar(int64_t days_total) : days_total_(std::max<int64_t>(days_total, 1)) {}

  void Update(int64_t commands, int64_t occurred_at_us, int64_t start_us) {
    const int64_t day = (occurred_at_us - start_us) / (86400LL * 1000000);
    const int64_t percent = std::clamp<int64_t>(day * 100 / days_total_, 0, 100);
    if (percent == last_percent_) return;
    last_percent_ = percent;
    constexpr int kWidth = 30;
    const int64_t filled = percent * kWidth / 100;
    std::fprintf(stderr, "\r[%s%s] %3ld%%  %s  %ld commands", std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, '.').c_str(), static_cast<long>(percent),
                 FormatLocalTimeUs(occurred_at_us).substr(0, 10).c_str(),
                 static_cast<long>(commands));
    std::fflush(stderr);
  }
  void Finish() { std::fprintf(stderr, "\n"); }

 private:
  const int64_t days_total_;
  int64_t last_percent_ = -1;
};

std::string Section(absl::string_view title) { return absl::StrCat("\n", title, "\n"); }

std::string Rate(int64_t rate_bp) {
  return rate_bp < 0 ? "-" : FormatBasisPointsAsPercent(rate_bp);
}

// Per month of the deadlines: the reply clocks (3 working days) and the
// notification clocks (5 working days), met, breached and the rate.
std::string SlaByMonthText(const SlaReportView& sla) {
  const SlaCountsView& all = sla.total.all;
  std::string out = absl::StrFormat(
      "%d complaint cycles (%d reopenings); %d clocks: %d met, %d breached, %d pending, "
      "%d due unknown\ncompliance %s (reply %s, notification %s)\n",
      sla.cycles, sla.reopens, all.met + all.breached + all.pending + all.due_unknown, all.met,
      all.breached, all.pending, all.due_unknown, Rate(all.compliance_bp),
      Rate(sla.total.reply.compliance_bp), Rate(sla.total.notification.compliance_bp));
  if (sla.by_due_month.empty()) return out;
  TextTable table({TextTable::Align::kLeft, TextTable::Align::kRight, TextTable::Align::kRight,
                   TextTable::Align::kRight, TextTable::Align::kRight, TextTable::Align::kRight,
                   TextTable::Align::kRight});
  table.AddRow({"MONTH", "REPLY MET", "BREACHED", "RATE", "NOTIFY MET", "BREACHED", "RATE"});
  for (const SlaGroupView& month : sla.by_due_month) {
    table.AddRow({month.key, absl::StrCat(month.reply.met), absl::StrCat(month.reply.breached),
                  Rate(month.reply.compliance_bp), absl::StrCat(month.notification.met),
                  absl::StrCat(month.notification.breached),
                  Rate(month.notification.compliance_bp)});
  }
  return out + table.Render();
}

std::string Report(Engine& engine, const std::string& directory,
                   const demo::RunSummary* summary) {
  std::string out;
  if (summary != nullptr) {
    const double seconds = static_cast<double>(summary->elapsed_ms) / 1000.0;
    const demo::WorkloadCounts& generated = summary->generated;
    absl::StrAppend(&out, absl::StrFormat(
        "Generated a year of the member program: %d enrolments, %d purchases, %d refunds,\n"
        "%d redemptions, %d adjustments, %d policy changes, %d birthday-job runs,\n"
        "%d official holiday schedules, %d complaints (%d steps of their handling, %d of them\n"
        "late; %d reopenings; %d goodwill grants), %d satisfaction surveys.\n"
        "Appended %d events in %.1f s through the engine (%d commands).\n",
        generated.enrolments, generated.purchases, generated.refunds, generated.redemptions,
        generated.adjustments, generated.policies, generated.birthday_runs,
        generated.calendar_declarations, generated.complaints, generated.complaint_steps,
        generated.late_steps, generated.reopenings, generated.goodwill_grants, generated.surveys,
        summary->events_appended, seconds, summary->commands_executed));
    if (!summary->refused.empty()) {
      absl::StrAppend(&out, "Commands the engine refused, as it should:\n");
      for (const auto& [what, count] : summary->refused) {
        absl::StrAppend(&out, "  ", count, " x ", what, "\n");
      }
    }
  }
  const ChainHead head = engine.ledger().Head();
  absl::StatusOr<ProgramView> program = engine.Program(AsOf::Sequence(head.sequence));
  if (!program.ok()) return absl::StrCat(out, "report failed: ", program.status().ToString(), "\n");

  absl::StrAppend(&out, Section("Members per tier"), TiersText(*program));
  absl::StrAppend(&out, Section("Points"), LiabilityText(*program));
  if (!program->liability.expiring_by_month.empty()) {
    absl::StrAppend(&out, "expiring by month:\n");
    for (const auto& [month, points] : program->liability.expiring_by_month) {
      absl::StrAppend(&out, "  ", month, "  ", points, " points\n");
    }
  }
  std::vector<PartnerScorecard> worst = program->partners;
  std::sort(worst.begin(), worst.end(), [](const auto& a, const auto& b) {
    return a.refund_rate_bp != b.refund_rate_bp ? a.refund_rate_bp > b.refund_rate_bp
                                                : a.partner_id < b.partner_id;
  });
  if (worst.size() > 5) worst.resize(5);
  ProgramView worst_view = *program;
  worst_view.partners = worst;
  absl::StrAppend(&out, Section("Partners with the highest refund rates"),
                  PartnersText(worst_view));
  std::vector<PartnerScorecard> lowest_sla;
  for (const PartnerScorecard& partner : program->partners) {
    if (partner.sla_compliance_bp >= 0) lowest_sla.push_back(partner);
  }
  std::sort(lowest_sla.begin(), lowest_sla.end(), [](const auto& a, const auto& b) {
    if (a.sla_compliance_bp != b.sla_compliance_bp) return a.sla_compliance_bp < b.sla_compliance_bp;
    if (a.sla_breached != b.sla_breached) return a.sla_breached > b.sla_breached;
    return a.partner_id < b.partner_id;
  });
  if (lowest_sla.size() > 5) lowest_sla.resize(5);
  worst_view.partners = lowest_sla;
  absl::StrAppend(&out, Section("Partners with the lowest SLA compliance on their complaints"),
                  PartnersText(worst_view));
  absl::StatusOr<SlaReportView> sla = engine.SlaReport(
      absl::CivilDay(kMinCalendarYear, 1, 1), absl::CivilDay(kMaxCalendarYear, 12, 31),
      AsOf::Sequence(head.sequence));
  if (!sla.ok()) return absl::StrCat(out, "report failed: ", sla.status().ToString(), "\n");
  absl::StrAppend(&out, Section("Complaint SLA compliance by month of the deadline"),
                  SlaByMonthText(*sla));
  absl::StrAppend(&out, Section("Chain head"),
                  absl::StrFormat("sequence %d\nhash     %s\n", head.sequence, HashHex(head.hash)));
  absl::StrAppend(&out, Section("Projection digests"), DigestsText(program->digests));
  // The first member the log enrols: one that exists at every later point;
  // and the first complaint it files.
  std::string member = "M000001";
  std::string complaint;
  bool member_found = false;
  (void)engine.ledger().Scan(1, head.sequence, [&](const v1::Envelope& envelope) {
    if (!member_found && envelope.event().has_member_enrolled()) {
      member = envelope.event().member_enrolled().member_id();
      member_found = true;
    }
    if (complaint.empty() && envelope.event().has_complaint_filed()) {
      complaint = envelope.event().complaint_filed().complaint_id();
    }
    return member_found && !complaint.empty() ? absl::CancelledError() : absl::OkStatus();
  });
  const std::string db = absl::StrCat(" --db ", directory);
  absl::StrAppend(&out, Section("Explore further"),
                  "  loyalty", db, " member show ", member, "\n",
                  "  loyalty", db, " member show ", member, " --as-of 2024-06-30\n",
                  "  loyalty", db, " tiers --as-of 2024-03-31\n",
                  "  loyalty", db, " partners\n",
                  "  loyalty", db, " sla report --from 2024-02-01 --to 2024-02-29\n");
  if (!complaint.empty()) {
    absl::StrAppend(&out, "  loyalty", db, " complaint show ", complaint, "\n");
  }
  absl::StrAppend(&out,
                  "  loyalty", db, " calendar due --from 2024-09-29 --working-days 5\n",
                  "  loyalty", db, " verify\n",
                  "  loyalty", db, " rebuild\n");
  return out;
}

}  // namespace

int RunDemo(CommandContext& context) {
  demo::RunOptions options;
  uint64_t members = static_cast<uint64_t>(options.workload.members);
  uint64_t days = static_cast<uint64_t>(options.workload.days);
  uint64_t seed = options.workload.seed;
  bool replace = false;
  bool no_sync = false;
  FlagSet flags = context.NewFlagSet();
  flags.Uint64("members", "N", absl::StrCat("members in the program (default: ", members, ")"),
               &members);
  flags.Uint64("days", "N", absl::StrCat("days to simulate, from 2024-01-01 (default: ", days, ")"),
               &days);
  flags.Uint64("seed", "N",
               absl::StrCat("seed of the generator: equal seeds give equal logs (default: ", seed,
                            ")"),
               &seed);
  flags.Bool("replace",
             "delete the ledger in --db first (refused when the directory holds anything else)",
             &replace);
  flags.Bool("no-sync", "do not fsync each command (faster; safe from a crash of the process)",
             &no_sync);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;
  if (members > 1000000 || days > 3660) {
    return ReportError(absl::InvalidArgumentError(absl::StrCat(
        "--members ", members, " or --days ", days, " is too large (at most 1000000 and 3660)")));
  }
  options.workload.members = static_cast<int>(members);
  options.workload.days = static_cast<int>(days);
  options.workload.seed = seed;
  options.replace = replace;
  options.sync = !no_sync;
  const std::string& directory = context.global.db_directory;

  std::error_code error;
  const bool exists =
      std::filesystem::exists(directory, error) && !std::filesystem::is_empty(directory, error);
  if (exists && !replace) {
    // Reuse what an earlier run left, without generating anything; a ledger
    // with no event yet (`loyalty init`) is filled instead.
    absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngineForReading(context.global);
    if (!engine.ok()) return ReportError(engine.status());
    if ((*engine)->ledger().Head().sequence > 0) {
      Print(absl::StrCat("Reusing the ledger in ", directory,
                         " (pass --replace to generate a new one).\n"));
      Print(Report(**engine, directory, nullptr));
      return kExitOk;
    }
  }

  // The master key that seals the members' personal data lives beside the
  // directory, never inside it; the first run makes it (docs/privacy.md).
  const std::string key_path = DefaultMasterKeyPath(directory);
  absl::StatusOr<std::string> created = CreateMasterKeyFile(key_path);
  if (created.ok()) {
    Print(absl::StrCat("Created the master key file ", key_path,
                       " (mode 0600): keep it apart from the data.\n"));
  } else if (!absl::IsAlreadyExists(created.status())) {
    return ReportError(created.status());
  }
  options.master_key = MasterKeyFromKeyFile(context.global, key_path);

  const bool terminal = isatty(STDERR_FILENO) == 1;
  ProgressBar bar(options.workload.days);
  const int64_t start_us = options.workload.start_us;
  absl::StatusOr<demo::RunSummary> summary = demo::RunWorkload(
      directory, options, [&](int64_t done, int64_t occurred_at_us) {
        if (terminal) bar.Update(done, occurred_at_us, start_us);
      });
  if (terminal) bar.Finish();
  if (!summary.ok()) return ReportError(summary.status());
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngineForReading(context.global);
  if (!engine.ok()) return ReportError(engine.status());
  Print(Report(**engine, directory, &*summary));
  return kExitOk;
}

}  // namespace loyalty::cli
