// The SLA report over 1,000,000 complaints, beside a rebuild of the SLA
// projection alone (the calendar and complaint projections) from the log.
//
// The log is generated once into a directory under /tmp that later runs
// reuse (LOYALTY_SLA_BENCH_DIR overrides it): the official calendars of
// 2024-2026, 20,000 members, and 1,000,000 complaints filed over 2024 and
// 2025 through their whole lifecycle (reply, investigation, resolution with
// goodwill points now and then, notification, the customer's answer; about
// one in seven reopened once; the most recent ones still open). The events
// are made by the deciders (projections/complaint_deciders.h) against an
// in-memory state and appended in batches of 10,000 through Ledger::Append,
// unsynced.
//
//   build-wire/bench/sla_bench --benchmark_counters_tabular=true
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "benchmark/benchmark.h"
#include "engine/complaint_views.h"
#include "loyalty/commands.h"
#include "loyalty/ledger.h"
#include "projections/balances.h"
#include "projections/calendar.h"
#include "projections/complaint_deciders.h"
#include "projections/complaints.h"
#include "projections/deciders.h"
#include "projections/local_time.h"
#include "projections/policy_projection.h"
#include "projections/tiers.h"

namespace loyalty {
namespace {

constexpr int64_t kComplaints = 1000000;
constexpr int64_t kMembers = 20000;
constexpr int64_t kPartners = 200;
// Complaints are filed over 2024 and 2025.
constexpr int64_t kFilingDays = 731;
const absl::CivilDay kFirstFilingDay(2024, 1, 1);
const char* const kCategories[] = {"service", "product", "parking", "billing"};
const absl::CivilDay kFirstDay(1970, 1, 1);
const absl::CivilDay kLastDay(2999, 12, 31);

std::string LogDirectory() {
  const char* override_dir = std::getenv("LOYALTY_SLA_BENCH_DIR");
  if (override_dir != nullptr) return override_dir;
  return absl::StrCat(std::filesystem::temp_directory_path().string(), "/loyalty-sla-bench-",
                      kComplaints);
}

// SplitMix64: the same numbers everywhere.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int64_t Between(int64_t low, int64_t high) {
    return low + static_cast<int64_t>(Next() % static_cast<uint64_t>(high - low + 1));
  }
  bool PerMille(int64_t per_mille) { return Between(0, 999) < per_mille; }

 private:
  uint64_t state_;
};

void Die(const absl::Status& status) {
  std::cerr << status << "\n";
  std::abort();
}

// Decides commands against an in-memory state (events applied unsequenced,
// as deciders' previews are) and appends them in large batches.
class LogWriter {
 public:
  explicit LogWriter(Ledger* ledger) : ledger_(ledger) {}

  // Decides, applies locally and queues; aborts on a rejected command (the
  // generator plans valid lifecycles only).
  void Commit(const absl::StatusOr<projections::Events>& events) {
    if (!events.ok()) Die(events.status());
    for (const v1::Envelope& envelope : *events) {
      for (projections::Projection* projection :
           std::initializer_list<projections::Projection*>{&policies_, &balances_, &tiers_,
                                                           &calendar_, &complaints_}) {
        absl::Status status = projection->Apply(envelope);
        if (!status.ok()) Die(status);
      }
      batch_.Add(envelope);
      ++events_;
      if (batch_.size() == kMaxBatchEvents) Flush();
    }
  }

  void Flush() {
    if (batch_.empty()) return;
    absl::StatusOr<AppendResult> appended = ledger_->Append(batch_);
    if (!appended.ok()) Die(appended.status());
    batch_ = AppendBatch();
  }

  projections::DecisionState state() const {
    return {policies_.policy(), balances_, tiers_};
  }
  projections::ComplaintDecisionState complaint_state() const { return {balances_, complaints_}; }
  const projections::WorkingCalendar& calendar() const { return calendar_.calendar(); }
  int64_t events() const { return events_; }

 private:
  Ledger* ledger_;
  AppendBatch batch_;
  int64_t events_ = 0;
  projections::PolicyProjection policies_;
  projections::BalanceProjection balances_;
  projections::TierProjection tiers_;
  projections::CalendarProjection calendar_;
  projections::ComplaintProjection complaints_;
};

// An instant on a local day between two local wall-clock minutes, and
// after `after_us`.
int64_t TimeOn(absl::CivilDay day, int64_t minute, int64_t after_us) {
  const int64_t at = projections::StartOfLocalDayUs(day) + minute * 60 * 1000000;
  return std::max(at, after_us + 60 * 1000000);
}

// A reply or notification: mostly within its deadline, one in sixteen late.
int64_t StepTime(const LogWriter& writer, Random& random, int64_t from_us,
                 int64_t due_working_days) {
  const int64_t offset = random.PerMille(60) ? due_working_days + random.Between(1, 2)
                                             : random.Between(0, due_working_days);
  if (offset == 0) return from_us + random.Between(20, 240) * 60 * 1000000;
  absl::StatusOr<absl::CivilDay> day =
      writer.calendar().NthWorkingDayAfter(projections::LocalDayOf(from_us), offset);
  if (!day.ok()) Die(day.status());
  return TimeOn(*day, random.Between(9 * 60, 18 * 60), from_us);
}

// One complaint's lifecycle; the last ones filed stop part-way, still open.
void WriteComplaint(LogWriter& writer, Random& random, int64_t index) {
  const std::string id = absl::StrFormat("C%07d", index + 1);
  const absl::CivilDay filed_day = kFirstFilingDay + index * kFilingDays / kComplaints;
  int64_t at = TimeOn(filed_day, random.Between(9 * 60, 20 * 60), 0);
  const std::string member = absl::StrFormat("M%05d", random.Between(1, kMembers));
  writer.Commit(projections::DecideFileComplaint(
      writer.complaint_state(),
      {id, member, absl::StrFormat("S%03d", random.Between(1, kPartners)),
       kCategories[random.Between(0, 3)], v1::CHANNEL_PHONE, at, "desk"}));
  // Complaints of the last weeks are still being handled.
  const int64_t steps_done = index >= kComplaints - kComplaints / 40
                                 ? random.Between(0, 5)
                                 : 99;
  int64_t step = 0;
  for (int cycle = 1; cycle <= 2; ++cycle) {
    if (step++ >= steps_done) return;
    at = StepTime(writer, random, at, 3);
    writer.Commit(projections::DecideReplyToComplaint(writer.complaint_state(),
                                                      {id, v1::CHANNEL_SMS, at, "desk"}));
    if (cycle == 1) {
      if (step++ >= steps_done) return;
      at += random.Between(10, 120) * 60 * 1000000;
      writer.Commit(
          projections::DecideStartInvestigation(writer.complaint_state(), {id, at, "desk"}));
    }
    if (step++ >= steps_done) return;
    absl::StatusOr<absl::CivilDay> day = writer.calendar().NthWorkingDayAfter(
        projections::LocalDayOf(at), random.Between(1, 5));
    if (!day.ok()) Die(day.status());
    at = TimeOn(*day, random.Between(9 * 60, 18 * 60), at);
    const int64_t goodwill = random.PerMille(100) ? 10 * random.Between(5, 50) : 0;
    writer.Commit(projections::DecideResolveComplaint(writer.complaint_state(),
                                                      {id, "apology", goodwill, at, "desk"}));
    if (step++ >= steps_done) return;
    at = StepTime(writer, random, at, 5);
    writer.Commit(projections::DecideNotifyCustomer(writer.complaint_state(),
                                                    {id, v1::CHANNEL_SMS, at, "desk"}));
    if (step++ >= steps_done) return;
    at = TimeOn(projections::LocalDayOf(at) + random.Between(1, 4),
                random.Between(10 * 60, 21 * 60), at);
    const bool satisfied = cycle == 2 || random.PerMille(860);
    writer.Commit(projections::DecideConfirmResolution(
        writer.complaint_state(),
        {id, satisfied, static_cast<int32_t>(satisfied ? random.Between(3, 5) : 2), at, "desk"}));
    if (satisfied) return;
  }
}

std::string CalendarText(int year) {
  std::ifstream file(absl::StrCat(LOYALTY_CALENDAR_DATA_DIR, "/cn-", year, ".txt"));
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Builds the log once; a marker file says it is complete.
const std::string& PreparedLog() {
  static const std::string directory = [] {
    const std::string dir = LogDirectory();
    const std::string marker = dir + ".complete";
    if (std::filesystem::exists(marker)) return dir;
    std::filesystem::remove_all(dir);
    std::cerr << "generating " << kComplaints << " complaints in " << dir << " (once)...\n";
    LedgerOptions options;
    options.sync = false;
    auto ledger = Ledger::Open(dir, options);
    if (!ledger.ok()) Die(ledger.status());
    LogWriter writer(ledger->get());
    const int64_t start_us = projections::StartOfLocalDayUs(absl::CivilDay(2023, 12, 1));
    for (int year : {2024, 2025, 2026}) {
      absl::StatusOr<v1::CalendarDaysDeclared> declaration = ParseCalendarFile(CalendarText(year));
      if (!declaration.ok()) Die(declaration.status());
      writer.Commit(projections::DecideDeclareCalendarDays(
          writer.calendar(), {*declaration, start_us, "calendar-admin"}));
    }
    for (int64_t m = 1; m <= kMembers; ++m) {
      writer.Commit(projections::DecideEnrolMember(
          writer.state(), {absl::StrFormat("M%05d", m), {}, {}, v1::CHANNEL_APP, start_us,
                           "desk"}));
    }
    Random random(20240101);
    for (int64_t i = 0; i < kComplaints; ++i) {
      WriteComplaint(writer, random, i);
      if ((i + 1) % 100000 == 0) std::cerr << "  " << (i + 1) << " complaints\n";
    }
    writer.Flush();
    std::cerr << "  " << writer.events() << " events\n";
    ledger->reset();
    std::ofstream(marker) << "ok\n";
    return dir;
  }();
  return directory;
}

std::unique_ptr<Ledger> OpenPrepared() {
  LedgerOptions options;
  options.create_if_missing = false;
  auto ledger = Ledger::Open(PreparedLog(), options);
  if (!ledger.ok()) Die(ledger.status());
  return std::move(*ledger);
}

// The SLA projection alone, rebuilt from the log: every event scanned and
// decoded, and applied to the calendar and complaint projections.
struct SlaProjection {
  projections::CalendarProjection calendar;
  projections::ComplaintProjection complaints;

  absl::Status Rebuild(const Ledger& ledger) {
    return ledger.Scan(1, ledger.Head().sequence, [&](const v1::Envelope& envelope) {
      absl::Status status = calendar.Apply(envelope);
      if (!status.ok()) return status;
      return complaints.Apply(envelope);
    });
  }
};

// The baseline: read every event and decode its envelope, nothing else.
void BM_ScanAndParse(benchmark::State& state) {
  std::unique_ptr<Ledger> ledger = OpenPrepared();
  const uint64_t head = ledger->Head().sequence;
  for (auto _ : state) {
    uint64_t events = 0;
    absl::Status status = ledger->Scan(1, head, [&](const v1::Envelope& envelope) {
      benchmark::DoNotOptimize(envelope.sequence());
      ++events;
      return absl::OkStatus();
    });
    if (!status.ok() || events != head) state.SkipWithError("scan failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * head));
  state.counters["events"] = static_cast<double>(head);
}
BENCHMARK(BM_ScanAndParse)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_RebuildSlaProjection(benchmark::State& state) {
  std::unique_ptr<Ledger> ledger = OpenPrepared();
  const uint64_t head = ledger->Head().sequence;
  size_t complaints = 0;
  for (auto _ : state) {
    auto projection = std::make_unique<SlaProjection>();
    absl::Status status = projection->Rebuild(*ledger);
    if (!status.ok()) state.SkipWithError(std::string(status.message()).c_str());
    complaints = projection->complaints.complaints().size();
    state.PauseTiming();
    projection.reset();  // freeing a million complaints is not the rebuild
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * head));
  state.counters["events"] = static_cast<double>(head);
  state.counters["complaints"] = static_cast<double>(complaints);
}
BENCHMARK(BM_RebuildSlaProjection)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// The projection the report benchmarks read, rebuilt once.
const SlaProjection& Rebuilt() {
  static const SlaProjection* projection = [] {
    std::unique_ptr<Ledger> ledger = OpenPrepared();
    auto rebuilt = std::make_unique<SlaProjection>();
    absl::Status status = rebuilt->Rebuild(*ledger);
    if (!status.ok()) Die(status);
    return rebuilt.release();
  }();
  return *projection;
}

// Engine::SlaReport's work on a rebuilt projection: every cycle of every
// complaint, the whole range of days, as of the end of the log.
void BM_SlaReport(benchmark::State& state) {
  const projections::ComplaintProjection& complaints = Rebuilt().complaints;
  const int64_t end_us = complaints.now_us();
  int64_t cycles = 0, open = 0, compliance_bp = 0;
  for (auto _ : state) {
    absl::StatusOr<SlaReportView> report =
        internal::MakeSlaReportView(complaints, kFirstDay, kLastDay, end_us);
    if (!report.ok()) state.SkipWithError(std::string(report.status().message()).c_str());
    cycles = report->cycles;
    open = report->open_clock_count;
    compliance_bp = report->total.all.compliance_bp;
    benchmark::DoNotOptimize(report->by_partner.size());
  }
  state.counters["complaints"] = static_cast<double>(complaints.complaints().size());
  state.counters["cycles"] = static_cast<double>(cycles);
  state.counters["open_clocks"] = static_cast<double>(open);
  state.counters["compliance_bp"] = static_cast<double>(compliance_bp);
}
BENCHMARK(BM_SlaReport)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

// For comparison: the complaint projection's own report (totals and groups
// without the split by kind of clock, and no open-clock list).
void BM_ComplaintProjectionReport(benchmark::State& state) {
  const projections::ComplaintProjection& complaints = Rebuilt().complaints;
  const int64_t end_us = complaints.now_us();
  for (auto _ : state) {
    absl::StatusOr<projections::SlaReport> report =
        complaints.Report(kFirstDay, kLastDay, end_us);
    if (!report.ok()) state.SkipWithError(std::string(report.status().message()).c_str());
    benchmark::DoNotOptimize(report->all.met);
  }
}
BENCHMARK(BM_ComplaintProjectionReport)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace loyalty

BENCHMARK_MAIN();
