// The engine's complaints, calendar, surveys and SLA queries: worked examples
// around real holidays with the shipped schedules, and replays at any point
// of a generated history that must give the live projection's clocks.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/complaint_views.h"
#include "engine/projection_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/engine.h"
#include "replay/projection_set.h"
#include "testing/engine_backend.h"
#include "testing/engine_history.h"
#include "testing/temp_dir.h"
#include "testing/unsynced_engine.h"
#include "testing/view_text.h"

namespace loyalty {
namespace {

using ::loyalty::testing::Describe;
using ::loyalty::testing::LoadOfficialCalendar;
using ::loyalty::testing::TempDir;
using ::testing::HasSubstr;

const absl::CivilDay kFirstDay(1970, 1, 1);
const absl::CivilDay kLastDay(2999, 12, 31);

// The instant of a local (UTC+8) wall-clock time.
int64_t At(int year, int month, int day, int hour = 10, int minute = 0) {
  return absl::ToUnixMicros(absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, 0),
                                            absl::FixedTimeZone(8 * 3600)));
}

// The last microsecond of a local day: the form every deadline takes.
int64_t EndOf(int year, int month, int day) {
  return absl::ToUnixMicros(absl::FromCivil(absl::CivilDay(year, month, day) + 1,
                                            absl::FixedTimeZone(8 * 3600))) -
         1;
}

class EngineComplaintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Reopen();
    // Published in October 2023; the log's business time starts then.
    Tick(At(2023, 11, 1));
    ASSERT_TRUE(LoadOfficialCalendar(*engine_, 2024, At(2023, 11, 1)).ok());
    Tick(At(2024, 1, 2));
    for (const char* member : {"M1", "M2"}) {
      EnrolMember enrol;
      enrol.member_id = member;
      enrol.occurred_at_us = At(2024, 1, 2);
      enrol.actor_id = "desk";
      ASSERT_TRUE(engine_->Execute(enrol).ok());
    }
  }

  void Reopen() {
    engine_.reset();
    EngineOptions options;
    options.ledger.clock = &clock_;
    options.ledger.sync = false;
    auto opened = testing::OpenTestEngine(dir_.Sub("db"), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    engine_ = std::move(*opened);
  }

  // The ledger records each event a second after it occurs, as a service
  // recording events as they happen: AsOf::RecordedTime reads by that time.
  void Tick(int64_t at) {
    if (clock_.NowMicros() < at + 1000000) clock_.Set(at + 1000000);
  }

  absl::StatusOr<CommandResult> File(const std::string& id, int64_t at,
                                     const std::string& partner = "store-7",
                                     const std::string& category = "service",
                                     const std::string& member = "M1") {
    Tick(at);
    return engine_->Execute(
        FileComplaint{id, member, partner, category, v1::CHANNEL_PHONE, at, "desk"});
  }
  absl::StatusOr<CommandResult> Reply(const std::string& id, int64_t at) {
    Tick(at);
    return engine_->Execute(ReplyToComplaint{id, v1::CHANNEL_SMS, at, "desk"});
  }
  absl::StatusOr<CommandResult> Investigate(const std::string& id, int64_t at) {
    Tick(at);
    return engine_->Execute(StartInvestigation{id, at, "desk"});
  }
  absl::StatusOr<CommandResult> Resolve(const std::string& id, int64_t at, int64_t goodwill = 0) {
    Tick(at);
    return engine_->Execute(ResolveComplaint{id, "apology", goodwill, at, "desk"});
  }
  absl::StatusOr<CommandResult> Notify(const std::string& id, int64_t at) {
    Tick(at);
    return engine_->Execute(NotifyCustomer{id, v1::CHANNEL_SMS, at, "desk"});
  }
  absl::StatusOr<CommandResult> Confirm(const std::string& id, int64_t at, bool satisfied,
                                        int32_t score) {
    Tick(at);
    return engine_->Execute(ConfirmResolution{id, satisfied, score, at, "desk"});
  }

  ComplaintView View(const std::string& id, AsOf as_of = AsOf::Now()) {
    auto view = engine_->Complaint(id, as_of);
    EXPECT_TRUE(view.ok()) << view.status();
    return view.ok() ? *view : ComplaintView();
  }

  TempDir dir_;
  ManualClock clock_{At(2023, 11, 1)};
  std::unique_ptr<Engine> engine_;
};

// The brief's example: filed on Friday 2024-02-09, before the Spring
// Festival (10-17 February; Sunday 18 February is a make-up working day),
// the reply is due by the end of Tuesday 2024-02-20. Then a dissatisfied
// customer reopens it after a resolution across Labour Day.
TEST_F(EngineComplaintTest, DeadlinesAcrossTheSpringFestivalAndLabourDayFallOnWorkingDays) {
  const int64_t filed_at = At(2024, 2, 9);
  auto deadline = engine_->WorkingDayDeadline(filed_at, 3);
  ASSERT_TRUE(deadline.ok()) << deadline.status();
  EXPECT_EQ(*deadline, EndOf(2024, 2, 20));
  EXPECT_EQ(*deadline, 1708444799999999);  // the example in engine.h

  auto filed = File("C1", filed_at);
  ASSERT_TRUE(filed.ok()) << filed.status();
  ComplaintView view = View("C1", AsOf::Sequence(filed->sequences.back()));
  ASSERT_EQ(view.cycles.size(), 1u);
  EXPECT_EQ(view.state, ComplaintState::kFiled);
  EXPECT_EQ(view.cycles[0].reply.due_at_us, EndOf(2024, 2, 20));
  EXPECT_EQ(view.cycles[0].reply.working_days, 3);
  EXPECT_EQ(view.cycles[0].reply.status, SlaClockStatus::kPending);
  EXPECT_EQ(view.as_of_us, filed_at);
  EXPECT_EQ(view.as_of_sequence, filed->sequences.back());
  // Overdue as of the morning after the deadline, with no event saying so.
  EXPECT_EQ(View("C1", AsOf::RecordedTime(At(2024, 2, 21, 8))).cycles[0].reply.status,
            SlaClockStatus::kBreached);

  ASSERT_TRUE(Reply("C1", At(2024, 2, 21)).ok());  // a day late
  ASSERT_TRUE(Investigate("C1", At(2024, 2, 21, 11)).ok());
  // Resolved on Tuesday 30 April: 1-5 May are off, so the customer must be
  // told by the end of Friday 10 May (6, 7, 8, 9, 10 May).
  auto resolved = Resolve("C1", At(2024, 4, 30), /*goodwill=*/200);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  ASSERT_EQ(resolved->sequences.size(), 2u);
  auto events = engine_->ledger().Read(resolved->sequences[1], 1);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ((*events)[0].stream_id(), "member-M1");
  EXPECT_EQ((*events)[0].event().points_granted().reason(), v1::GRANT_REASON_GOODWILL);
  EXPECT_EQ((*events)[0].event().points_granted().complaint_id(), "C1");
  ASSERT_TRUE(Notify("C1", At(2024, 5, 10, 18)).ok());
  // Dissatisfied on Sunday 12 May: a new cycle, replied to within 3 working
  // days of that day (13, 14, 15 May).
  ASSERT_TRUE(Confirm("C1", At(2024, 5, 12), /*satisfied=*/false, 2).ok());
  view = View("C1");
  EXPECT_EQ(view.state, ComplaintState::kReopened);
  ASSERT_EQ(view.cycles.size(), 2u);
  EXPECT_EQ(view.cycles[1].reply.due_at_us, EndOf(2024, 5, 15));
  ASSERT_TRUE(Reply("C1", At(2024, 5, 13)).ok());
  EXPECT_EQ(View("C1").state, ComplaintState::kInvestigating);
  ASSERT_TRUE(Resolve("C1", At(2024, 5, 20)).ok());
  ASSERT_TRUE(Notify("C1", At(2024, 5, 21)).ok());
  ASSERT_TRUE(Confirm("C1", At(2024, 5, 22), /*satisfied=*/true, 4).ok());

  view = View("C1");
  EXPECT_EQ(view.state, ComplaintState::kClosed);
  EXPECT_EQ(view.member_id, "M1");
  EXPECT_EQ(view.partner_id, "store-7");
  EXPECT_EQ(view.category, "service");
  EXPECT_EQ(view.channel, v1::CHANNEL_PHONE);
  EXPECT_EQ(view.filed_at_us, filed_at);
  EXPECT_EQ(view.goodwill_points_total, 200);
  EXPECT_EQ(view.satisfaction_score, 4);
  ASSERT_EQ(view.cycles.size(), 2u);
  const ComplaintCycleView& first = view.cycles[0];
  EXPECT_EQ(first.reply.done_at_us, At(2024, 2, 21));
  EXPECT_EQ(first.reply.status, SlaClockStatus::kBreached);
  EXPECT_EQ(first.investigation_started_at_us, At(2024, 2, 21, 11));
  EXPECT_EQ(first.resolved_at_us, At(2024, 4, 30));
  EXPECT_EQ(first.goodwill_points, 200);
  ASSERT_TRUE(first.has_notification);
  EXPECT_EQ(first.notification.due_at_us, EndOf(2024, 5, 10));
  EXPECT_EQ(first.notification.status, SlaClockStatus::kMet);
  EXPECT_FALSE(first.satisfied);
  EXPECT_EQ(first.satisfaction_score, 2);
  const ComplaintCycleView& second = view.cycles[1];
  EXPECT_EQ(second.started_at_us, At(2024, 5, 12));
  EXPECT_EQ(second.reply.status, SlaClockStatus::kMet);
  EXPECT_EQ(second.investigation_started_at_us, 0);
  EXPECT_EQ(second.notification.status, SlaClockStatus::kMet);
  EXPECT_TRUE(second.satisfied);

  // The goodwill lot names the complaint.
  auto member = engine_->Member("M1", AsOf::Sequence(~uint64_t{0}));
  ASSERT_TRUE(member.ok());
  ASSERT_EQ(member->lots.size(), 1u);
  EXPECT_EQ(member->lots[0].reason, v1::GRANT_REASON_GOODWILL);
  EXPECT_EQ(member->lots[0].source_id, "C1");
  EXPECT_EQ(member->lots[0].points_remaining, 200);
}

TEST_F(EngineComplaintTest, StepsOutOfOrderAreRejectedBeforeAnythingIsAppended) {
  ASSERT_TRUE(File("C1", At(2024, 3, 1)).ok());
  const uint64_t head = engine_->ledger().Head().sequence;

  auto unknown = Reply("C404", At(2024, 3, 2));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("C404"));

  auto early = Resolve("C1", At(2024, 3, 2));
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(early.status().message(), HasSubstr("ResolveComplaint"));
  EXPECT_THAT(early.status().message(), HasSubstr("\"C1\""));
  EXPECT_THAT(early.status().message(), HasSubstr("filed"));
  EXPECT_EQ(File("C1", At(2024, 3, 2)).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(File("C9", At(2024, 3, 2), "store-7", "service", "M404").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->ledger().Head().sequence, head);

  ASSERT_TRUE(Reply("C1", At(2024, 3, 2)).ok());
  ASSERT_TRUE(Investigate("C1", At(2024, 3, 3)).ok());
  ASSERT_TRUE(Resolve("C1", At(2024, 3, 4)).ok());
  auto twice = Resolve("C1", At(2024, 3, 5));
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(twice.status().message(), HasSubstr("is resolved"));
  ASSERT_TRUE(Notify("C1", At(2024, 3, 5)).ok());
  ASSERT_TRUE(Confirm("C1", At(2024, 3, 6), true, 5).ok());
  const uint64_t closed_head = engine_->ledger().Head().sequence;
  auto after = Reply("C1", At(2024, 3, 7));
  EXPECT_EQ(after.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(after.status().message(),
              HasSubstr("ReplyToComplaint: complaint \"C1\" is closed (cycle 1)"));
  // A step dated before the complaint's latest event.
  ASSERT_TRUE(File("C2", At(2024, 3, 10)).ok());
  auto backwards = Reply("C2", At(2024, 3, 9));
  EXPECT_EQ(backwards.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(engine_->ledger().Head().sequence, closed_head + 1);
}

TEST_F(EngineComplaintTest, TheCalendarIsLoadedOnceAndDeadlinesNeverGuessAYear) {
  const uint64_t head = engine_->ledger().Head().sequence;
  Tick(At(2024, 6, 1));
  auto again = LoadOfficialCalendar(*engine_, 2024, At(2024, 6, 1));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("already loaded"));
  EXPECT_EQ(engine_->ledger().Head().sequence, head);

  auto beyond = engine_->WorkingDayDeadline(At(2026, 6, 1), 3);
  EXPECT_EQ(beyond.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(beyond.status().message(), HasSubstr("no holiday schedule is loaded for 2026"));
  EXPECT_EQ(engine_->WorkingDayDeadline(At(2024, 6, 1), 0).status().code(),
            absl::StatusCode::kInvalidArgument);

  // Filed on New Year's Eve 2025 before the 2026 schedule is known: due
  // unknown, then fixed once it is loaded (Sunday 4 January 2026 is a
  // make-up working day: 4, 5, 6 January).
  ASSERT_TRUE(File("C1", At(2025, 12, 31)).ok());
  ComplaintView view = View("C1");
  EXPECT_EQ(view.cycles[0].reply.status, SlaClockStatus::kDueUnknown);
  EXPECT_EQ(view.cycles[0].reply.due_at_us, 0);
  EXPECT_EQ(view.cycles[0].reply.missing_calendar_year, 2026);
  const uint64_t unknown_at = engine_->ledger().Head().sequence;
  Tick(At(2025, 12, 31, 12));
  ASSERT_TRUE(LoadOfficialCalendar(*engine_, 2026, At(2025, 12, 31, 12)).ok());
  view = View("C1");
  EXPECT_EQ(view.cycles[0].reply.due_at_us, EndOf(2026, 1, 6));
  EXPECT_EQ(view.cycles[0].reply.missing_calendar_year, 0);
  EXPECT_EQ(*engine_->WorkingDayDeadline(At(2025, 12, 31), 3), EndOf(2026, 1, 6));
  // The replay before the load still shows what was known then.
  EXPECT_EQ(View("C1", AsOf::Sequence(unknown_at)).cycles[0].reply.status,
            SlaClockStatus::kDueUnknown);
}

TEST_F(EngineComplaintTest, SlaReportAndPartnerScorecardsCountTheClocksAsOfAnInstant) {
  // C1 at store-7: replied late (breached), resolved, notified on time.
  ASSERT_TRUE(File("C1", At(2024, 2, 9)).ok());
  ASSERT_TRUE(Reply("C1", At(2024, 2, 21)).ok());
  ASSERT_TRUE(Investigate("C1", At(2024, 2, 21, 11)).ok());
  ASSERT_TRUE(Resolve("C1", At(2024, 2, 22)).ok());
  ASSERT_TRUE(Notify("C1", At(2024, 2, 23)).ok());
  ASSERT_TRUE(Confirm("C1", At(2024, 2, 24), true, 4).ok());
  // C2 at store-7, parking: replied on time, still being investigated.
  ASSERT_TRUE(File("C2", At(2024, 3, 4), "store-7", "parking").ok());
  ASSERT_TRUE(Reply("C2", At(2024, 3, 5)).ok());
  ASSERT_TRUE(Investigate("C2", At(2024, 3, 5, 11)).ok());
  ASSERT_TRUE(Resolve("C2", At(2024, 3, 6)).ok());
  // C3 about the mall itself, not replied to.
  ASSERT_TRUE(File("C3", At(2024, 3, 8), "", "parking", "M2").ok());
  // A survey about store-7.
  Tick(At(2024, 3, 9));
  auto survey =
      engine_->Execute(RecordSurvey{"Q1", "M2", "store-7", "", 2, At(2024, 3, 9), "survey-app"});
  ASSERT_TRUE(survey.ok()) << survey.status();
  EXPECT_EQ(engine_->Execute(RecordSurvey{"Q1", "M2", "store-7", "", 2, At(2024, 3, 9), "app"})
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);

  // As of the end of 31 March: C2's notification (due 13 March) and C3's
  // reply (due 13 March) are overdue.
  auto report = engine_->SlaReport(kFirstDay, kLastDay, AsOf::RecordedTime(At(2024, 3, 31, 23)));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->cycles, 3);
  EXPECT_EQ(report->reopens, 0);
  EXPECT_EQ(Describe(report->total.all), "2/3/0/0 bp=4000");
  EXPECT_EQ(Describe(report->total.reply), "1/2/0/0 bp=3333");
  EXPECT_EQ(Describe(report->total.notification), "1/1/0/0 bp=5000");
  ASSERT_EQ(report->by_due_month.size(), 2u);
  EXPECT_EQ(report->by_due_month[0].key, "2024-02");
  EXPECT_EQ(Describe(report->by_due_month[0].all), "1/1/0/0 bp=5000");
  EXPECT_EQ(report->by_due_month[1].key, "2024-03");
  ASSERT_EQ(report->by_partner.size(), 2u);
  EXPECT_EQ(report->by_partner[0].key, "");
  EXPECT_EQ(Describe(report->by_partner[0].all), "0/1/0/0 bp=0");
  EXPECT_EQ(report->by_partner[1].key, "store-7");
  EXPECT_EQ(Describe(report->by_partner[1].all), "2/2/0/0 bp=5000");
  ASSERT_EQ(report->by_category.size(), 2u);
  EXPECT_EQ(report->by_category[0].key, "parking");
  EXPECT_EQ(report->open_clock_count, 2);
  ASSERT_EQ(report->open_clocks.size(), 2u);
  // Both due at the end of 13 March: by complaint id.
  EXPECT_EQ(report->open_clocks[0].complaint_id, "C2");
  EXPECT_EQ(report->open_clocks[0].clock.kind, SlaClockKind::kNotification);
  EXPECT_EQ(report->open_clocks[0].clock.due_at_us, EndOf(2024, 3, 13));
  EXPECT_EQ(report->open_clocks[0].clock.status, SlaClockStatus::kBreached);
  EXPECT_EQ(report->open_clocks[1].complaint_id, "C3");
  EXPECT_EQ(report->open_clocks[1].clock.kind, SlaClockKind::kReply);
  EXPECT_EQ(report->open_clocks[1].clock.due_at_us, EndOf(2024, 3, 13));
  EXPECT_EQ(report->open_clocks[1].partner_id, "");

  // A window of February only: C1 alone.
  auto february = engine_->SlaReport(absl::CivilDay(2024, 2, 1), absl::CivilDay(2024, 2, 29),
                                     AsOf::RecordedTime(At(2024, 3, 31, 23)));
  ASSERT_TRUE(february.ok());
  EXPECT_EQ(february->cycles, 1);
  EXPECT_EQ(february->open_clock_count, 0);
  EXPECT_EQ(engine_->SlaReport(kLastDay, kFirstDay, AsOf::Now()).status().code(),
            absl::StatusCode::kInvalidArgument);

  auto program = engine_->Program(AsOf::RecordedTime(At(2024, 3, 31, 23)));
  ASSERT_TRUE(program.ok());
  ASSERT_EQ(program->partners.size(), 1u);  // complaints about the mall have no scorecard
  const PartnerScorecard& store = program->partners[0];
  EXPECT_EQ(store.partner_id, "store-7");
  EXPECT_EQ(store.complaint_count, 2);
  EXPECT_EQ(store.sla_met, 2);
  EXPECT_EQ(store.sla_breached, 2);
  EXPECT_EQ(store.sla_compliance_bp, 5000);
  EXPECT_EQ(store.average_satisfaction_centi, 300);  // 4 (C1) and 2 (Q1)
  EXPECT_EQ(store.purchase_count, 0);
}

// A checkpoint saved before the calendar and complaint projections existed
// is set aside: the engine rebuilds everything from the log.
TEST_F(EngineComplaintTest, ACheckpointWithoutTheNewProjectionsIsRebuiltFromTheLog) {
  ASSERT_TRUE(File("C1", At(2024, 2, 9)).ok());
  ASSERT_TRUE(engine_->Checkpoint().ok());
  const std::string before = Describe(View("C1"));
  engine_.reset();
  {
    auto store = internal::ProjectionStore::Open(dir_.Sub("db") + "/projections", /*read_only=*/false);
    ASSERT_TRUE(store.ok());
    auto checkpoint = (*store)->Load();
    ASSERT_TRUE(checkpoint.ok());
    internal::ProjectionCheckpoint old = *checkpoint;
    old.states.clear();
    for (const auto& [name, state] : checkpoint->states) {
      if (name != "calendar" && name != "complaints") old.states.emplace_back(name, state);
    }
    ASSERT_LT(old.states.size(), checkpoint->states.size());
    ASSERT_TRUE((*store)->Save(old).ok());
  }
  Reopen();
  EXPECT_EQ(Describe(View("C1")), before);
  EXPECT_TRUE(engine_->Rebuild().ok());
}

// For a generated history, Complaint() and SlaReport() as of any sequence
// equal what a full replay of the log gives at that sequence, and the live
// projection agrees with a replay at its head.
TEST(EngineComplaintReplayTest, ClocksAsOfAnySequenceAreThoseOfAFullReplay) {
  TempDir dir;
  ManualClock clock(testing::kHistoryStartUs);
  auto engine = testing::OpenUnsyncedEngine(dir.Sub("db"), &clock);
  ASSERT_TRUE(engine.ok()) << engine.status();
  testing::EngineHistory history(engine->get(), &clock, 11);
  history.Run(900);
  const uint64_t head = (*engine)->ledger().Head().sequence;
  auto events = (*engine)->ledger().Read(1, head);
  ASSERT_TRUE(events.ok());
  std::set<uint64_t> cuts = {head};
  for (uint64_t k = 1; k < 24; ++k) cuts.insert(head * k / 24);

  internal::ProjectionSet full;
  int64_t compared = 0, reopened = 0, due_unknown = 0;
  for (const v1::Envelope& envelope : *events) {
    ASSERT_TRUE(full.Apply(envelope).ok());
    const uint64_t n = envelope.sequence();
    if (!cuts.contains(n)) continue;
    for (const std::string& id : history.complaints()) {
      auto actual = (*engine)->Complaint(id, AsOf::Sequence(n));
      if (full.complaints().FindComplaint(id) == nullptr) {
        EXPECT_EQ(actual.status().code(), absl::StatusCode::kNotFound) << id << " at " << n;
        continue;
      }
      ASSERT_TRUE(actual.ok()) << actual.status();
      EXPECT_GE(actual->as_of_us, envelope.occurred_at_us());
      EXPECT_LE(actual->as_of_us, full.complaints().now_us());
      auto expected = internal::MakeComplaintView(full.complaints(), id, actual->as_of_us);
      ASSERT_TRUE(expected.ok());
      expected->as_of_sequence = n;
      EXPECT_EQ(Describe(*actual), Describe(*expected)) << "at " << n;
      ++compared;
      reopened += actual->cycles.size() > 1;
      for (const ComplaintCycleView& cycle : actual->cycles) {
        due_unknown += cycle.reply.status == SlaClockStatus::kDueUnknown;
      }
    }
    auto report = (*engine)->SlaReport(kFirstDay, kLastDay, AsOf::Sequence(n));
    ASSERT_TRUE(report.ok()) << report.status();
    // Evaluated at the business time of event n, or later when the
    // complaint events read reached further (event n was backdated).
    const int64_t sla_instant_us = std::max(full.complaints().now_us(), envelope.occurred_at_us());
    EXPECT_EQ(report->as_of_us, sla_instant_us) << "at " << n;
    auto expected =
        internal::MakeSlaReportView(full.complaints(), kFirstDay, kLastDay, sla_instant_us);
    ASSERT_TRUE(expected.ok());
    expected->as_of_sequence = n;
    expected->as_of_kind = AsOf::Kind::kSequence;
    EXPECT_EQ(Describe(*report), Describe(*expected)) << "at " << n;
    // The same figures as the projection's own report.
    auto own = full.complaints().Report(kFirstDay, kLastDay, sla_instant_us);
    ASSERT_TRUE(own.ok());
    EXPECT_EQ(report->cycles, own->cycles);
    EXPECT_EQ(report->total.all.met, own->all.met);
    EXPECT_EQ(report->total.all.breached, own->all.breached);
    EXPECT_EQ(report->total.reply.pending, own->reply.pending);
    EXPECT_EQ(report->total.notification.due_unknown, own->notification.due_unknown);
    EXPECT_EQ(report->by_due_month.size(), own->by_due_month.size());
    EXPECT_EQ(report->by_partner.size(), own->by_partner.size());
  }
  std::cout << "compared " << compared << " complaint views, " << reopened << " reopened, "
            << due_unknown << " reply clocks due unknown\n";
  EXPECT_GT(compared, 100);
  EXPECT_GT(reopened, 0);

  // Live (Now, at the engine clock) and a replay (Time, at the same
  // instant) give the same views, the same report and the same scorecards.
  clock.Set(history.now_us() + 10 * testing::kHistoryDayUs);
  const AsOf replay = AsOf::RecordedTime(clock.NowMicros());
  for (const std::string& id : history.complaints()) {
    auto live = (*engine)->Complaint(id, AsOf::Now());
    auto replayed = (*engine)->Complaint(id, replay);
    ASSERT_EQ(live.ok(), replayed.ok()) << id;
    if (live.ok()) {
      EXPECT_EQ(Describe(*live), Describe(*replayed));
    }
  }
  auto live_report = (*engine)->SlaReport(kFirstDay, kLastDay, AsOf::Now());
  auto replayed_report = (*engine)->SlaReport(kFirstDay, kLastDay, replay);
  ASSERT_TRUE(live_report.ok() && replayed_report.ok());
  EXPECT_EQ(Describe(*live_report), Describe(*replayed_report));
  auto live_program = (*engine)->Program(AsOf::Now());
  auto replayed_program = (*engine)->Program(replay);
  ASSERT_TRUE(live_program.ok() && replayed_program.ok());
  ASSERT_EQ(live_program->partners.size(), replayed_program->partners.size());
  for (size_t i = 0; i < live_program->partners.size(); ++i) {
    const PartnerScorecard& a = live_program->partners[i];
    const PartnerScorecard& b = replayed_program->partners[i];
    EXPECT_EQ(std::make_tuple(a.partner_id, a.complaint_count, a.sla_met, a.sla_breached,
                              a.sla_compliance_bp, a.average_satisfaction_centi),
              std::make_tuple(b.partner_id, b.complaint_count, b.sla_met, b.sla_breached,
                              b.sla_compliance_bp, b.average_satisfaction_centi));
  }
  ASSERT_TRUE((*engine)->Rebuild().ok());
}

}  // namespace
}  // namespace loyalty
