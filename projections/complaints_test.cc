#include "projections/complaints.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "projections/complaint_deciders.h"
#include "projections/local_time.h"
#include "projections/test_world.h"

namespace loyalty::projections {
namespace {

using testing::AnomalyRules;
using testing::At;
using testing::DataOf;
using testing::EndOf;
using testing::RawEnvelope;
using testing::TestWorld;

// Expects `status` to have `code` and to mention every one of `parts`.
void ExpectError(const absl::Status& status, absl::StatusCode code,
                 const std::vector<std::string>& parts) {
  EXPECT_EQ(status.code(), code) << status;
  for (const std::string& part : parts) {
    EXPECT_NE(status.message().find(part), std::string::npos)
        << "\"" << part << "\" not in: " << status;
  }
}

class ComplaintsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(world_.LoadOfficialCalendar(2024, At(2023, 10, 26)).ok());
    ASSERT_TRUE(world_.LoadOfficialCalendar(2025, At(2024, 11, 13)).ok());
    ASSERT_TRUE(world_.Enrol("M1", At(2024, 1, 1)).ok());
  }

  absl::StatusOr<Events> DecideFile(const std::string& id, int64_t at,
                                    const std::string& partner = "nike",
                                    const std::string& category = "service",
                                    const std::string& member = "M1") {
    return DecideFileComplaint(world_.complaint_state(),
                               {id, member, partner, category, v1::CHANNEL_PHONE, at, "desk"});
  }
  absl::Status File(const std::string& id, int64_t at, const std::string& partner = "nike",
                    const std::string& category = "service", const std::string& member = "M1") {
    return world_.Commit(DecideFile(id, at, partner, category, member));
  }
  absl::Status Reply(const std::string& id, int64_t at) {
    return world_.Commit(
        DecideReplyToComplaint(world_.complaint_state(), {id, v1::CHANNEL_SMS, at, "desk"}));
  }
  absl::Status Investigate(const std::string& id, int64_t at) {
    return world_.Commit(DecideStartInvestigation(world_.complaint_state(), {id, at, "desk"}));
  }
  absl::Status Resolve(const std::string& id, int64_t at, int64_t goodwill_points = 0) {
    return world_.Commit(DecideResolveComplaint(world_.complaint_state(),
                                                {id, "apology", goodwill_points, at, "desk"}));
  }
  absl::Status Notify(const std::string& id, int64_t at) {
    return world_.Commit(
        DecideNotifyCustomer(world_.complaint_state(), {id, v1::CHANNEL_SMS, at, "desk"}));
  }
  absl::Status Confirm(const std::string& id, int64_t at, bool satisfied, int32_t score = 0) {
    return world_.Commit(
        DecideConfirmResolution(world_.complaint_state(), {id, satisfied, score, at, "desk"}));
  }

  ComplaintView View(const std::string& id, int64_t as_of_us) {
    absl::StatusOr<ComplaintView> view = world_.complaints.ViewAt(id, as_of_us);
    EXPECT_TRUE(view.ok()) << view.status();
    return view.ok() ? *view : ComplaintView();
  }
  const SlaClock& ReplyClock(const std::string& id, size_t cycle = 1) {
    return world_.complaints.FindComplaint(id)->cycles.at(cycle - 1).reply;
  }
  const SlaClock& NotificationClock(const std::string& id, size_t cycle = 1) {
    return *world_.complaints.FindComplaint(id)->cycles.at(cycle - 1).notification;
  }
  // The statuses of a complaint's clocks as of `as_of_us`, in view order.
  std::vector<ClockStatus> Statuses(const std::string& id, int64_t as_of_us) {
    std::vector<ClockStatus> statuses;
    for (const ClockView& clock : View(id, as_of_us).clocks) statuses.push_back(clock.status);
    return statuses;
  }

  TestWorld world_;
};

using S = ClockStatus;

// The brief's example: filed on Friday 2024-02-09 (the Spring Festival
// holiday is 10-17 February and Sunday 18 February is a make-up working
// day), the reply is due by the end of Tuesday 2024-02-20.
TEST_F(ComplaintsTest, AComplaintFiledBeforeTheSpringFestivalIsDueAfterTheHoliday) {
  ASSERT_TRUE(File("C1", At(2024, 2, 9, 10, 0)).ok());
  const v1::Envelope& filed = world_.log.back();
  EXPECT_EQ(filed.stream_id(), "complaint-C1");
  EXPECT_EQ(filed.idempotency_key(), "complaint/C1/filed");
  EXPECT_EQ(filed.event().complaint_filed().partner_id(), "nike");
  EXPECT_EQ(ReplyClock("C1").due_at_us, EndOf(2024, 2, 20));
  EXPECT_EQ(LocalSecondOf(*ReplyClock("C1").due_at_us), absl::CivilSecond(2024, 2, 20, 23, 59, 59));
  EXPECT_EQ(ReplyClock("C1").working_days, 3);
  EXPECT_EQ(world_.complaints.FindComplaint("C1")->state, ComplaintState::kFiled);

  ASSERT_TRUE(Reply("C1", At(2024, 2, 20, 17, 0)).ok());
  EXPECT_EQ(world_.log.back().idempotency_key(), "complaint/C1/1/replied");
  EXPECT_EQ(Statuses("C1", At(2024, 3, 1)), std::vector<S>{S::kMet});
}

TEST_F(ComplaintsTest, AComplaintFiledOnAWeekendAHolidayOrAMakeUpDayCountsTheWorkingDaysAfterIt) {
  // Saturday 3 February: Sunday 4 February is a make-up working day.
  ASSERT_TRUE(File("weekend", At(2024, 2, 3)).ok());
  EXPECT_EQ(ReplyClock("weekend").due_at_us, EndOf(2024, 2, 6));
  // An ordinary Sunday.
  ASSERT_TRUE(File("sunday", At(2024, 3, 3)).ok());
  EXPECT_EQ(ReplyClock("sunday").due_at_us, EndOf(2024, 3, 6));
  // Monday 12 February, in the Spring Festival holiday: 18, 19, 20 February.
  ASSERT_TRUE(File("spring-holiday", At(2024, 2, 12)).ok());
  EXPECT_EQ(ReplyClock("spring-holiday").due_at_us, EndOf(2024, 2, 20));
  // Wednesday 2 October, in the National Day holiday: 8, 9, 10 October.
  ASSERT_TRUE(File("national-holiday", At(2024, 10, 2)).ok());
  EXPECT_EQ(ReplyClock("national-holiday").due_at_us, EndOf(2024, 10, 10));
  // Sunday 18 February, a make-up working day, is not counted itself.
  ASSERT_TRUE(File("make-up", At(2024, 2, 18)).ok());
  EXPECT_EQ(ReplyClock("make-up").due_at_us, EndOf(2024, 2, 21));
  // Sunday 29 September, a make-up working day before National Day: 30
  // September, then 8 and 9 October.
  ASSERT_TRUE(File("make-up-national", At(2024, 9, 29)).ok());
  EXPECT_EQ(ReplyClock("make-up-national").due_at_us, EndOf(2024, 10, 9));
}

TEST_F(ComplaintsTest, ClocksSkipNationalDayAndLabourDayAndCountTheirMakeUpDays) {
  // National Day 2024: filed on Friday 27 September, the working days after
  // are Sunday 29 (make-up), Monday 30 September and Tuesday 8 October.
  ASSERT_TRUE(File("C1", At(2024, 9, 27)).ok());
  EXPECT_EQ(ReplyClock("C1").due_at_us, EndOf(2024, 10, 8));
  ASSERT_TRUE(Reply("C1", At(2024, 9, 28)).ok());
  ASSERT_TRUE(Investigate("C1", At(2024, 9, 28)).ok());
  // Resolved on the make-up Sunday: 30 September, 8, 9, 10, 11 October.
  ASSERT_TRUE(Resolve("C1", At(2024, 9, 29, 15, 0)).ok());
  EXPECT_EQ(NotificationClock("C1").due_at_us, EndOf(2024, 10, 11));
  ASSERT_TRUE(Notify("C1", At(2024, 10, 11, 22, 0)).ok());
  EXPECT_EQ(Statuses("C1", At(2024, 12, 1)), (std::vector<S>{S::kMet, S::kMet}));

  // Labour Day 2024: 1-5 May off, Sunday 28 April and Saturday 11 May work.
  ASSERT_TRUE(File("C2", At(2024, 4, 26)).ok());
  EXPECT_EQ(ReplyClock("C2").due_at_us, EndOf(2024, 4, 30));
  ASSERT_TRUE(File("C3", At(2024, 4, 30)).ok());
  EXPECT_EQ(ReplyClock("C3").due_at_us, EndOf(2024, 5, 8));
  ASSERT_TRUE(Reply("C3", At(2024, 5, 6)).ok());
  ASSERT_TRUE(Investigate("C3", At(2024, 5, 6)).ok());
  ASSERT_TRUE(Resolve("C3", At(2024, 5, 7)).ok());
  // 8, 9, 10, Saturday 11 (make-up) and 13 May.
  EXPECT_EQ(NotificationClock("C3").due_at_us, EndOf(2024, 5, 13));
  ASSERT_TRUE(Notify("C3", At(2024, 5, 14, 9, 0)).ok());  // a day late
  EXPECT_EQ(Statuses("C3", At(2024, 6, 1)), (std::vector<S>{S::kMet, S::kBreached}));

  // Labour Day 2025 (1-5 May off, Sunday 27 April works).
  ASSERT_TRUE(File("C4", At(2025, 4, 25)).ok());
  EXPECT_EQ(ReplyClock("C4").due_at_us, EndOf(2025, 4, 29));
}

TEST_F(ComplaintsTest, EachReopeningStartsACycleWithFreshClocks) {
  ASSERT_TRUE(File("C1", At(2024, 3, 4, 9, 0)).ok());  // a Monday
  EXPECT_EQ(ReplyClock("C1").due_at_us, EndOf(2024, 3, 7));
  ASSERT_TRUE(Reply("C1", At(2024, 3, 5, 10, 0)).ok());
  ASSERT_TRUE(Investigate("C1", At(2024, 3, 5, 11, 0)).ok());
  ASSERT_TRUE(Resolve("C1", At(2024, 3, 6)).ok());
  EXPECT_EQ(NotificationClock("C1").due_at_us, EndOf(2024, 3, 13));
  ASSERT_TRUE(Notify("C1", At(2024, 3, 7)).ok());

  // Dissatisfied: cycle 2 starts on Friday 8 March; its reply is due 3
  // working days after: 11, 12, 13 March.
  ASSERT_TRUE(Confirm("C1", At(2024, 3, 8, 10, 0), /*satisfied=*/false, 2).ok());
  EXPECT_EQ(world_.log.back().idempotency_key(), "complaint/C1/1/confirmed");
  const Complaint& complaint = *world_.complaints.FindComplaint("C1");
  EXPECT_EQ(complaint.state, ComplaintState::kReopened);
  ASSERT_EQ(complaint.cycles.size(), 2u);
  EXPECT_EQ(complaint.cycles[1].started_at_us, At(2024, 3, 8, 10, 0));
  EXPECT_EQ(ReplyClock("C1", 2).due_at_us, EndOf(2024, 3, 13));
  EXPECT_FALSE(ReplyClock("C1", 2).done_at_us.has_value());
  EXPECT_EQ(Statuses("C1", At(2024, 3, 8, 11, 0)),
            (std::vector<S>{S::kMet, S::kMet, S::kPending}));

  // The reopened complaint is answered, then resolved and notified late.
  ASSERT_TRUE(Reply("C1", At(2024, 3, 12)).ok());
  EXPECT_EQ(world_.log.back().idempotency_key(), "complaint/C1/2/replied");
  EXPECT_EQ(world_.complaints.FindComplaint("C1")->state, ComplaintState::kInvestigating);
  ASSERT_TRUE(Resolve("C1", At(2024, 3, 15)).ok());
  EXPECT_EQ(NotificationClock("C1", 2).due_at_us, EndOf(2024, 3, 22));
  ASSERT_TRUE(Notify("C1", At(2024, 3, 25)).ok());

  // Dissatisfied again: cycle 3 from Tuesday 26 March.
  ASSERT_TRUE(Confirm("C1", At(2024, 3, 26), false, 1).ok());
  EXPECT_EQ(ReplyClock("C1", 3).due_at_us, EndOf(2024, 3, 29));
  ASSERT_TRUE(Reply("C1", At(2024, 3, 28)).ok());
  ASSERT_TRUE(Resolve("C1", At(2024, 3, 29)).ok());
  // 1, 2, 3 April; Qingming 4-6 April; Sunday 7 (make-up) and Monday 8 April.
  EXPECT_EQ(NotificationClock("C1", 3).due_at_us, EndOf(2024, 4, 8));
  ASSERT_TRUE(Notify("C1", At(2024, 4, 8, 20, 0)).ok());
  ASSERT_TRUE(Confirm("C1", At(2024, 4, 9), true, 4).ok());
  EXPECT_EQ(world_.log.back().idempotency_key(), "complaint/C1/3/confirmed");

  const ComplaintView view = View("C1", At(2024, 4, 30));
  EXPECT_EQ(view.state, ComplaintState::kClosed);
  EXPECT_EQ(view.cycle_count, 3);
  EXPECT_EQ(view.satisfaction_score, 4);
  EXPECT_EQ(view.filed_at_us, At(2024, 3, 4, 9, 0));
  ASSERT_EQ(view.clocks.size(), 6u);
  EXPECT_EQ(view.clocks[3].cycle, 2);
  EXPECT_EQ(view.clocks[3].kind, ClockKind::kNotification);
  EXPECT_EQ(Statuses("C1", At(2024, 4, 30)),
            (std::vector<S>{S::kMet, S::kMet, S::kMet, S::kBreached, S::kMet, S::kMet}));

  absl::StatusOr<SlaReport> report =
      world_.complaints.Report(absl::CivilDay(2024, 3, 1), absl::CivilDay(2024, 3, 31), At(2024, 4, 30));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->cycles, 3);
  EXPECT_EQ(report->reopens, 2);
  EXPECT_EQ(report->all.met, 5);
  EXPECT_EQ(report->all.breached, 1);
  EXPECT_EQ(report->all.compliance_bp(), 8333);
  EXPECT_EQ(report->reply.compliance_bp(), 10000);
  EXPECT_EQ(report->notification.compliance_bp(), 6666);
  ASSERT_EQ(report->by_due_month.size(), 2u);
  EXPECT_EQ(report->by_due_month.at(absl::CivilMonth(2024, 3)).met, 4);
  EXPECT_EQ(report->by_due_month.at(absl::CivilMonth(2024, 3)).breached, 1);
  EXPECT_EQ(report->by_due_month.at(absl::CivilMonth(2024, 4)).met, 1);
  EXPECT_EQ(report->by_partner.at("nike").breached, 1);
  EXPECT_EQ(report->by_category.at("service").met, 5);
}

TEST_F(ComplaintsTest, ABreachIsSeenAsOfAnInstantWithoutAnyEvent) {
  ASSERT_TRUE(File("C1", At(2024, 2, 9, 10, 0)).ok());
  const size_t events = world_.log.size();
  EXPECT_EQ(Statuses("C1", At(2024, 2, 9, 10, 0)), std::vector<S>{S::kPending});
  EXPECT_EQ(Statuses("C1", EndOf(2024, 2, 20)), std::vector<S>{S::kPending});
  EXPECT_EQ(Statuses("C1", EndOf(2024, 2, 20) + 1), std::vector<S>{S::kBreached});
  EXPECT_EQ(world_.log.size(), events);  // nothing was recorded
  // The open clocks, nearest deadline first: this one is overdue.
  std::vector<ClockView> open = world_.complaints.OpenClocks(At(2024, 2, 21), 10);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].complaint_id, "C1");
  EXPECT_EQ(open[0].status, S::kBreached);
  // A late reply does not undo the breach.
  ASSERT_TRUE(Reply("C1", At(2024, 2, 21, 9, 0)).ok());
  EXPECT_EQ(Statuses("C1", At(2024, 2, 21, 9, 0)), std::vector<S>{S::kBreached});
  EXPECT_TRUE(world_.complaints.OpenClocks(At(2024, 2, 21), 10).empty());

  // The notification clock breaches the same way.
  ASSERT_TRUE(Investigate("C1", At(2024, 2, 21, 10, 0)).ok());
  ASSERT_TRUE(Resolve("C1", At(2024, 2, 22)).ok());  // due 29 February
  EXPECT_EQ(Statuses("C1", EndOf(2024, 2, 29)), (std::vector<S>{S::kBreached, S::kPending}));
  EXPECT_EQ(Statuses("C1", At(2024, 3, 1)), (std::vector<S>{S::kBreached, S::kBreached}));
}

TEST_F(ComplaintsTest, OutOfOrderStepsAreRejectedBeforeAnythingIsAppended) {
  const ComplaintDecisionState state = world_.complaint_state();
  ExpectError(DecideReplyToComplaint(state, {"C404", v1::CHANNEL_SMS, At(2024, 3, 1), "desk"}).status(),
              absl::StatusCode::kNotFound, {"ReplyToComplaint", "\"C404\"", "not filed"});

  ASSERT_TRUE(File("C1", At(2024, 3, 4)).ok());
  const size_t events = world_.log.size();
  ExpectError(Investigate("C1", At(2024, 3, 4)), absl::StatusCode::kFailedPrecondition,
              {"StartInvestigation: complaint \"C1\" is filed (cycle 1)", "needs the complaint replied"});
  ExpectError(Resolve("C1", At(2024, 3, 4)), absl::StatusCode::kFailedPrecondition,
              {"ResolveComplaint", "\"C1\"", "is filed"});
  ExpectError(Notify("C1", At(2024, 3, 4)), absl::StatusCode::kFailedPrecondition,
              {"NotifyCustomer", "\"C1\"", "is filed"});
  ExpectError(Confirm("C1", At(2024, 3, 4), true), absl::StatusCode::kFailedPrecondition,
              {"ConfirmResolution", "\"C1\"", "is filed"});
  ExpectError(File("C1", At(2024, 3, 4)), absl::StatusCode::kAlreadyExists, {"\"C1\" is already filed"});
  EXPECT_EQ(world_.log.size(), events);

  ASSERT_TRUE(Reply("C1", At(2024, 3, 5)).ok());
  ExpectError(Reply("C1", At(2024, 3, 5)), absl::StatusCode::kFailedPrecondition,
              {"ReplyToComplaint: complaint \"C1\" is replied (cycle 1)", "filed or reopened"});
  ASSERT_TRUE(Investigate("C1", At(2024, 3, 5)).ok());
  ASSERT_TRUE(Resolve("C1", At(2024, 3, 6)).ok());
  // A second resolution without a reopening.
  ExpectError(Resolve("C1", At(2024, 3, 6)), absl::StatusCode::kFailedPrecondition,
              {"ResolveComplaint: complaint \"C1\" is resolved (cycle 1)", "investigating"});
  ASSERT_TRUE(Notify("C1", At(2024, 3, 7)).ok());
  ASSERT_TRUE(Confirm("C1", At(2024, 3, 8), false).ok());
  // Reopened: back under investigation, but the new cycle is replied first.
  ExpectError(Investigate("C1", At(2024, 3, 8)), absl::StatusCode::kFailedPrecondition,
              {"StartInvestigation: complaint \"C1\" is reopened (cycle 2)"});
  ExpectError(Resolve("C1", At(2024, 3, 8)), absl::StatusCode::kFailedPrecondition,
              {"ResolveComplaint: complaint \"C1\" is reopened (cycle 2)", "replied to first"});
  ASSERT_TRUE(Reply("C1", At(2024, 3, 11)).ok());
  ASSERT_TRUE(Resolve("C1", At(2024, 3, 11)).ok());
  ASSERT_TRUE(Notify("C1", At(2024, 3, 11)).ok());
  ASSERT_TRUE(Confirm("C1", At(2024, 3, 12), true, 5).ok());
  // Anything after closing.
  const size_t closed_events = world_.log.size();
  for (const absl::Status& status :
       {Reply("C1", At(2024, 3, 13)), Investigate("C1", At(2024, 3, 13)),
        Resolve("C1", At(2024, 3, 13)), Notify("C1", At(2024, 3, 13)),
        Confirm("C1", At(2024, 3, 13), false)}) {
    ExpectError(status, absl::StatusCode::kFailedPrecondition,
                {"complaint \"C1\" is closed (cycle 2); nothing follows closing"});
  }
  EXPECT_EQ(world_.log.size(), closed_events);

  // A step dated before the complaint's latest event.
  ASSERT_TRUE(File("C2", At(2024, 3, 4, 12, 0)).ok());
  ExpectError(Reply("C2", At(2024, 3, 4, 11, 0)), absl::StatusCode::kFailedPrecondition,
              {"ReplyToComplaint", "is before the latest event of complaint \"C2\""});
}

// Hand-made events the deciders would never write: the complaints stay as
// they were, and each event is recorded (anomaly.h).
TEST_F(ComplaintsTest, AnEventThatBreaksALifecycleRuleLeavesTheComplaintsAsTheyWere) {
  ASSERT_TRUE(File("C1", At(2024, 3, 4)).ok());
  const std::string before = DataOf<state::ComplaintProjectionState>(world_.complaints);
  auto raw = [&](const std::string& stream, auto fill) {
    v1::Envelope envelope = RawEnvelope(0, stream, At(2024, 3, 5));
    fill(envelope.mutable_event());
    ASSERT_TRUE(world_.CommitRaw(envelope).ok());
  };
  raw("complaint-C1", [](v1::Event* e) {
    e->mutable_complaint_resolved()->set_complaint_id("C1");
  });
  raw("complaint-C9", [](v1::Event* e) {
    e->mutable_complaint_replied()->set_complaint_id("C9");
  });
  raw("complaint-C1", [](v1::Event* e) {
    e->mutable_customer_confirmed()->set_complaint_id("C1");
    e->mutable_customer_confirmed()->set_satisfaction_score(6);
  });
  raw("complaint-C1", [](v1::Event* e) {
    e->mutable_complaint_filed()->set_complaint_id("C1");
    e->mutable_complaint_filed()->set_member_id("M1");
    e->mutable_complaint_filed()->set_category("parking");
  });
  raw("complaint-C2", [](v1::Event* e) {
    e->mutable_complaint_filed()->set_complaint_id("C2");
    e->mutable_complaint_filed()->set_member_id("M1");
  });
  raw("complaint-C2", [](v1::Event* e) {  // C1's reply on C2's stream
    e->mutable_complaint_replied()->set_complaint_id("C1");
  });
  raw("complaint-C1", [](v1::Event* e) {
    e->mutable_complaint_resolved()->set_complaint_id("C1");
    e->mutable_complaint_resolved()->set_goodwill_points(-1);
  });
  EXPECT_EQ(AnomalyRules(world_.complaints),
            (std::vector<std::string>{"complaint_step_out_of_order", "complaint_not_filed",
                                      "score_out_of_range", "complaint_already_filed",
                                      "missing_id", "stream_mismatch", "goodwill_out_of_range"}));
  EXPECT_EQ(world_.complaints.anomalies().kept()[0].message,
            "ResolveComplaint: complaint \"C1\" is filed (cycle 1); a resolution needs the "
            "complaint investigating; the event is not applied");
  EXPECT_EQ(DataOf<state::ComplaintProjectionState>(world_.complaints), before);
  EXPECT_EQ(world_.complaints.FindComplaint("C1")->category, "service");  // the first filing

  ComplaintProjection restored;
  ASSERT_TRUE(restored.Restore(world_.complaints.CanonicalState()).ok());
  EXPECT_EQ(restored.CanonicalState(), world_.complaints.CanonicalState());
  EXPECT_EQ(restored.anomalies().kept(), world_.complaints.anomalies().kept());
}

// A dissatisfied confirmation of a complaint at the limit of cycles: the
// complaint stays notified, as the deciders would have left it.
TEST_F(ComplaintsTest, AReopeningPastTheLimitOfCyclesLeavesTheComplaintNotified) {
  ASSERT_TRUE(File("C1", At(2024, 3, 4)).ok());
  ASSERT_TRUE(Reply("C1", At(2024, 3, 4)).ok());
  ASSERT_TRUE(Investigate("C1", At(2024, 3, 4)).ok());
  for (int64_t cycle = 1; cycle < kMaxComplaintCycles; ++cycle) {
    ASSERT_TRUE(Resolve("C1", At(2024, 3, 4)).ok());
    ASSERT_TRUE(Notify("C1", At(2024, 3, 4)).ok());
    ASSERT_TRUE(Confirm("C1", At(2024, 3, 4), false).ok());
    ASSERT_TRUE(Reply("C1", At(2024, 3, 4)).ok());
  }
  ASSERT_TRUE(Resolve("C1", At(2024, 3, 4)).ok());
  ASSERT_TRUE(Notify("C1", At(2024, 3, 4)).ok());
  v1::Envelope reopen = RawEnvelope(0, "complaint-C1", At(2024, 3, 5));
  reopen.mutable_event()->mutable_customer_confirmed()->set_complaint_id("C1");
  ASSERT_TRUE(world_.CommitRaw(reopen).ok());
  EXPECT_EQ(AnomalyRules(world_.complaints),
            std::vector<std::string>{"complaint_cycles_exhausted"});
  const Complaint& complaint = *world_.complaints.FindComplaint("C1");
  EXPECT_EQ(static_cast<int64_t>(complaint.cycles.size()), kMaxComplaintCycles);
  EXPECT_EQ(complaint.state, ComplaintState::kNotified);
}

TEST_F(ComplaintsTest, CommandsAreChecked) {
  ExpectError(DecideFile("C1", At(2024, 3, 4), "nike", "service", "M404").status(),
              absl::StatusCode::kNotFound, {"\"M404\" is not enrolled"});
  ExpectError(DecideFile("C1", At(2024, 3, 4), "nike", "").status(),
              absl::StatusCode::kInvalidArgument, {"category: must not be empty"});
  ExpectError(DecideFile("", At(2024, 3, 4)).status(), absl::StatusCode::kInvalidArgument,
              {"complaint_id"});
  ExpectError(DecideFile("C1", 0).status(), absl::StatusCode::kInvalidArgument, {"occurred_at_us"});
  ExpectError(DecideFile("C1", At(2024, 3, 4), std::string(65, 'p')).status(),
              absl::StatusCode::kInvalidArgument, {"partner_id"});
  // A complaint about the mall itself names no partner.
  ASSERT_TRUE(File("C1", At(2024, 3, 4), "").ok());
  EXPECT_EQ(world_.complaints.FindComplaint("C1")->partner_id, "");

  ASSERT_TRUE(Reply("C1", At(2024, 3, 4)).ok());
  ASSERT_TRUE(Investigate("C1", At(2024, 3, 4)).ok());
  ExpectError(world_.Commit(DecideResolveComplaint(world_.complaint_state(),
                                                   {"C1", "", 0, At(2024, 3, 5), "desk"})),
              absl::StatusCode::kInvalidArgument, {"resolution"});
  ExpectError(Resolve("C1", At(2024, 3, 5), -5), absl::StatusCode::kInvalidArgument,
              {"goodwill_points"});
  ASSERT_TRUE(Resolve("C1", At(2024, 3, 5)).ok());
  ASSERT_TRUE(Notify("C1", At(2024, 3, 5)).ok());
  ExpectError(Confirm("C1", At(2024, 3, 6), true, 6), absl::StatusCode::kInvalidArgument,
              {"satisfaction_score: 6"});

  // An erased member files nothing and gets no goodwill.
  ASSERT_TRUE(world_.Enrol("M2", At(2024, 1, 1)).ok());
  ASSERT_TRUE(File("C2", At(2024, 3, 4), "nike", "service", "M2").ok());
  ASSERT_TRUE(Reply("C2", At(2024, 3, 4)).ok());
  ASSERT_TRUE(Investigate("C2", At(2024, 3, 4)).ok());
  ASSERT_TRUE(world_.Commit(DecideEraseMember(world_.state(), {"M2", "request", At(2024, 3, 5), "privacy"})).ok());
  ExpectError(File("C3", At(2024, 3, 5), "nike", "service", "M2"),
              absl::StatusCode::kFailedPrecondition, {"\"M2\" is erased"});
  ExpectError(Resolve("C2", At(2024, 3, 6), 100), absl::StatusCode::kFailedPrecondition,
              {"goodwill_points", "erased"});
  EXPECT_TRUE(Resolve("C2", At(2024, 3, 6)).ok());
}

TEST_F(ComplaintsTest, GoodwillPointsNameTheComplaint) {
  ASSERT_TRUE(File("C1", At(2024, 3, 4)).ok());
  ASSERT_TRUE(Reply("C1", At(2024, 3, 4)).ok());
  ASSERT_TRUE(Investigate("C1", At(2024, 3, 4)).ok());
  const size_t before = world_.log.size();
  ASSERT_TRUE(Resolve("C1", At(2024, 3, 5), 300).ok());
  ASSERT_EQ(world_.log.size(), before + 2);  // one batch of two events
  const v1::Envelope& resolved = world_.log[before];
  EXPECT_EQ(resolved.stream_id(), "complaint-C1");
  EXPECT_EQ(resolved.idempotency_key(), "complaint/C1/1/resolved");
  EXPECT_EQ(resolved.event().complaint_resolved().goodwill_points(), 300);
  const v1::Envelope& granted = world_.log[before + 1];
  EXPECT_EQ(granted.stream_id(), "member-M1");
  EXPECT_EQ(granted.idempotency_key(), "complaint/C1/1/goodwill");
  EXPECT_EQ(granted.event().points_granted().reason(), v1::GRANT_REASON_GOODWILL);
  EXPECT_EQ(granted.event().points_granted().complaint_id(), "C1");
  EXPECT_EQ(granted.event().points_granted().member_id(), "M1");
  EXPECT_EQ(granted.event().points_granted().points(), 300);
  EXPECT_EQ(world_.Balance("M1"), 300);
  EXPECT_EQ(world_.balances.FindMember("M1")->lots.at(0).source_id, "C1");
  EXPECT_EQ(View("C1", At(2024, 3, 5)).goodwill_points_total, 300);
}

// When the calendar does not cover the year a deadline needs, the clock
// says so, and the first schedule that covers it fixes the deadline.
TEST_F(ComplaintsTest, ADeadlineIsUnknownUntilItsYearsScheduleIsLoaded) {
  ASSERT_TRUE(world_.LoadOfficialCalendar(2026, At(2025, 11, 5)).ok());
  ASSERT_TRUE(File("C1", At(2026, 12, 29)).ok());  // 30, 31 December, then 2027
  ASSERT_TRUE(File("C2", At(2026, 12, 30)).ok());
  ASSERT_TRUE(Reply("C2", At(2026, 12, 31)).ok());
  EXPECT_FALSE(ReplyClock("C1").due_at_us.has_value());
  EXPECT_EQ(ReplyClock("C1").missing_calendar_year, 2027);
  EXPECT_EQ(Statuses("C1", At(2027, 3, 1)), std::vector<S>{S::kDueUnknown});
  EXPECT_EQ(Statuses("C2", At(2027, 3, 1)), std::vector<S>{S::kDueUnknown});
  absl::StatusOr<SlaReport> report = world_.complaints.Report(
      absl::CivilDay(2026, 12, 1), absl::CivilDay(2026, 12, 31), At(2027, 3, 1));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->all.due_unknown, 2);
  EXPECT_FALSE(report->all.compliance_bp().has_value());
  EXPECT_TRUE(report->by_due_month.empty());
  std::vector<ClockView> open = world_.complaints.OpenClocks(At(2027, 3, 1), 10);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].status, S::kDueUnknown);

  // A schedule of 2027 (a test one: 1 January off).
  ASSERT_TRUE(world_.DeclareCalendar("source test-2027\ncovers 2027\n"
                                     "2027-01-01 holiday New Year's Day\n",
                                     At(2026, 12, 31, 18, 0))
                  .ok());
  EXPECT_EQ(ReplyClock("C1").due_at_us, EndOf(2027, 1, 4));
  EXPECT_EQ(ReplyClock("C1").missing_calendar_year, 0);
  EXPECT_EQ(ReplyClock("C2").due_at_us, EndOf(2027, 1, 5));
  EXPECT_EQ(Statuses("C1", At(2027, 3, 1)), std::vector<S>{S::kBreached});
  EXPECT_EQ(Statuses("C2", At(2027, 3, 1)), std::vector<S>{S::kMet});
}

// Deadlines are fixed when a clock starts: a later calendar declaration or
// SLA policy changes the clocks started after it only.
TEST_F(ComplaintsTest, LaterCalendarAndPolicyChangesDoNotMoveADeadline) {
  ASSERT_TRUE(File("C1", At(2024, 3, 4)).ok());
  EXPECT_EQ(ReplyClock("C1").due_at_us, EndOf(2024, 3, 7));
  ASSERT_TRUE(world_.DeclareCalendar("source mall\ncovers none\n2024-03-05 holiday Stocktake\n",
                                     At(2024, 3, 4, 13, 0))
                  .ok());
  EXPECT_EQ(ReplyClock("C1").due_at_us, EndOf(2024, 3, 7));
  ASSERT_TRUE(File("C2", At(2024, 3, 4, 14, 0)).ok());
  EXPECT_EQ(ReplyClock("C2").due_at_us, EndOf(2024, 3, 8));

  v1::PolicySet change;
  change.mutable_sla()->set_reply_working_days(5);
  ASSERT_TRUE(world_.ChangePolicy("SLA5", change, At(2024, 3, 4, 15, 0)).ok());
  ASSERT_TRUE(File("C3", At(2024, 3, 4, 16, 0)).ok());
  EXPECT_EQ(ReplyClock("C3").working_days, 5);
  EXPECT_EQ(ReplyClock("C3").due_at_us, EndOf(2024, 3, 12));  // 6, 7, 8, 11, 12 March
  EXPECT_EQ(ReplyClock("C1").due_at_us, EndOf(2024, 3, 7));
  EXPECT_EQ(ReplyClock("C2").due_at_us, EndOf(2024, 3, 8));
}

TEST_F(ComplaintsTest, ReportsByMonthPartnerAndCategoryAndTheOpenClocks) {
  ASSERT_TRUE(File("A", At(2024, 1, 30), "nike", "service").ok());    // due 2 February
  // Sunday 4 February is a make-up working day, the third after 31 January.
  ASSERT_TRUE(File("B", At(2024, 1, 31), "adidas", "parking").ok());  // due 4 February
  ASSERT_TRUE(File("C", At(2024, 2, 1), "", "parking").ok());         // due 5 February
  ASSERT_TRUE(File("D", At(2024, 1, 15), "nike", "product").ok());    // due 18 January
  ASSERT_TRUE(Reply("A", At(2024, 2, 1)).ok());                       // met
  ASSERT_TRUE(Reply("D", At(2024, 1, 19)).ok());                      // breached
  EXPECT_EQ(ReplyClock("B").due_at_us, EndOf(2024, 2, 4));
  const int64_t as_of = At(2024, 2, 5, 12, 0);

  absl::StatusOr<SlaReport> january =
      world_.complaints.Report(absl::CivilDay(2024, 1, 1), absl::CivilDay(2024, 1, 31), as_of);
  ASSERT_TRUE(january.ok());
  EXPECT_EQ(january->cycles, 3);  // A, B, D: the window selects by the cycle's start
  EXPECT_EQ(january->all.met, 1);
  EXPECT_EQ(january->all.breached, 2);  // D late; B not replied by the end of 4 February
  EXPECT_EQ(january->all.pending, 0);
  EXPECT_EQ(january->all.compliance_bp(), 3333);
  // A clock counts in the month of its deadline.
  EXPECT_EQ(january->by_due_month.at(absl::CivilMonth(2024, 1)).breached, 1);
  EXPECT_EQ(january->by_due_month.at(absl::CivilMonth(2024, 2)).met, 1);
  EXPECT_EQ(january->by_due_month.at(absl::CivilMonth(2024, 2)).breached, 1);
  EXPECT_EQ(january->by_partner.at("nike").compliance_bp(), 5000);
  EXPECT_EQ(january->by_partner.at("adidas").compliance_bp(), 0);
  EXPECT_EQ(january->by_category.at("product").breached, 1);
  EXPECT_FALSE(january->by_partner.contains(""));

  absl::StatusOr<SlaReport> everything =
      world_.complaints.Report(absl::CivilDay(2024, 1, 1), absl::CivilDay(2024, 12, 31), as_of);
  ASSERT_TRUE(everything.ok());
  EXPECT_EQ(everything->cycles, 4);
  EXPECT_EQ(everything->by_partner.at("").pending, 1);  // the mall itself
  EXPECT_EQ(everything->by_category.at("parking").pending, 1);
  EXPECT_EQ(everything->by_category.at("parking").breached, 1);
  EXPECT_FALSE(everything->by_partner.at("").compliance_bp().has_value());

  EXPECT_EQ(world_.complaints
                .Report(absl::CivilDay(2024, 2, 1), absl::CivilDay(2024, 1, 1), as_of)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);

  // The open clocks, nearest deadline first: B is overdue, C is due today.
  std::vector<ClockView> open = world_.complaints.OpenClocks(as_of, 10);
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].complaint_id, "B");
  EXPECT_EQ(open[0].status, S::kBreached);
  EXPECT_EQ(open[1].complaint_id, "C");
  EXPECT_EQ(open[1].clock.due_at_us, EndOf(2024, 2, 5));
  EXPECT_EQ(open[1].status, S::kPending);
  EXPECT_EQ(open[1].partner_id, "");
  EXPECT_EQ(world_.complaints.OpenClocks(as_of, 1).size(), 1u);

  const auto by_partner = world_.complaints.CountsByPartner(as_of);
  EXPECT_EQ(by_partner.at("nike").met, 1);
  EXPECT_EQ(by_partner.at("nike").breached, 1);
  EXPECT_EQ(by_partner.at("adidas").breached, 1);
  EXPECT_EQ(by_partner.at("").pending, 1);
}

// Replaying the log up to any sequence gives the complaint states and clock
// statuses the live projection had at that sequence, byte for byte; so does
// restoring a snapshot taken anywhere and applying the rest.
TEST_F(ComplaintsTest, AReplayUpToAnySequenceGivesTheLiveClocks) {
  std::vector<std::pair<size_t, std::string>> live;  // (log size, state)
  const auto record = [&] { live.emplace_back(world_.log.size(), world_.complaints.CanonicalState()); };
  record();
  ASSERT_TRUE(world_.Enrol("M2", At(2024, 1, 2)).ok());
  ASSERT_TRUE(File("C1", At(2024, 2, 9)).ok());
  record();
  ASSERT_TRUE(File("C2", At(2024, 2, 12), "adidas", "parking", "M2").ok());
  record();
  ASSERT_TRUE(Reply("C1", At(2024, 2, 19)).ok());
  record();
  ASSERT_TRUE(world_.DeclareCalendar("source mall\ncovers none\n2024-02-21 holiday Closed\n",
                                     At(2024, 2, 19, 18, 0))
                  .ok());
  record();
  ASSERT_TRUE(Investigate("C1", At(2024, 2, 20)).ok());
  ASSERT_TRUE(Resolve("C1", At(2024, 2, 20), 50).ok());
  record();
  ASSERT_TRUE(Notify("C1", At(2024, 2, 28)).ok());
  record();
  ASSERT_TRUE(Confirm("C1", At(2024, 2, 29), false, 2).ok());
  record();
  v1::PolicySet change;
  change.mutable_sla()->set_notification_working_days(2);
  ASSERT_TRUE(world_.ChangePolicy("N2", change, At(2024, 3, 1)).ok());
  ASSERT_TRUE(Reply("C1", At(2024, 3, 4)).ok());
  ASSERT_TRUE(Resolve("C1", At(2024, 3, 5)).ok());
  record();
  ASSERT_TRUE(Reply("C2", At(2024, 3, 6)).ok());
  record();

  const std::vector<int64_t> instants = {At(2024, 2, 15), EndOf(2024, 2, 20), EndOf(2024, 2, 20) + 1,
                                         At(2024, 3, 1), At(2024, 12, 31)};
  for (const auto& [cut, expected] : live) {
    ComplaintProjection replay;
    for (size_t i = 0; i < cut; ++i) ASSERT_TRUE(replay.Apply(world_.log[i]).ok());
    ASSERT_EQ(replay.CanonicalState(), expected) << "cut at " << cut;
    ComplaintProjection restored;
    ASSERT_TRUE(restored.Restore(expected).ok());
    ASSERT_EQ(restored.CanonicalState(), expected);
    for (size_t i = cut; i < world_.log.size(); ++i) ASSERT_TRUE(restored.Apply(world_.log[i]).ok());
    EXPECT_EQ(restored.CanonicalState(), world_.complaints.CanonicalState()) << "cut at " << cut;
    for (const auto& [complaint_id, complaint] : replay.complaints()) {
      for (int64_t instant : instants) {
        const ComplaintView replayed = *replay.ViewAt(complaint_id, instant);
        // The live projection at that cut had the same state, so the same
        // view; at the end, the same clocks of the cycles it had then.
        const ComplaintView now = View(complaint_id, instant);
        ASSERT_LE(replayed.clocks.size(), now.clocks.size());
        for (size_t k = 0; k < replayed.clocks.size(); ++k) {
          EXPECT_EQ(replayed.clocks[k].clock.due_at_us, now.clocks[k].clock.due_at_us)
              << complaint_id << " clock " << k << " cut at " << cut;
        }
      }
    }
  }
  // The mall's holiday on 21 February came after C1's and C2's replies were
  // due; it moved neither deadline. C1's resolution on 20 February counts
  // it: 22, 23, 26, 27, 28 February.
  EXPECT_EQ(ReplyClock("C1").due_at_us, EndOf(2024, 2, 20));
  EXPECT_EQ(ReplyClock("C2").due_at_us, EndOf(2024, 2, 20));
  EXPECT_EQ(NotificationClock("C1").due_at_us, EndOf(2024, 2, 28));
  EXPECT_EQ(NotificationClock("C1", 2).due_at_us, EndOf(2024, 3, 7));  // the 2-day policy
  EXPECT_EQ(Statuses("C2", At(2024, 3, 6)), std::vector<S>{S::kBreached});
}

TEST_F(ComplaintsTest, RestoreRejectsAComplaintThatBreaksTheStateMachine) {
  ASSERT_TRUE(File("C1", At(2024, 3, 4)).ok());
  ASSERT_TRUE(Reply("C1", At(2024, 3, 4)).ok());
  state::ComplaintProjectionState state;
  ASSERT_TRUE(state.ParseFromString(world_.complaints.CanonicalState()));
  ComplaintProjection restored;
  ASSERT_TRUE(restored.Restore(state.SerializeAsString()).ok());

  state::ComplaintProjectionState bad = state;
  bad.mutable_complaints(0)->set_state(static_cast<int32_t>(ComplaintState::kFiled));  // replied
  EXPECT_EQ(restored.Restore(bad.SerializeAsString()).code(), absl::StatusCode::kDataLoss);
  bad = state;
  bad.mutable_complaints(0)->set_state(42);
  EXPECT_EQ(restored.Restore(bad.SerializeAsString()).code(), absl::StatusCode::kDataLoss);
  bad = state;
  bad.mutable_complaints(0)->mutable_cycles(0)->mutable_reply()->clear_due_at_us();
  EXPECT_EQ(restored.Restore(bad.SerializeAsString()).code(), absl::StatusCode::kDataLoss);
  bad = state;
  *bad.add_complaints() = state.complaints(0);  // a duplicate id
  EXPECT_EQ(restored.Restore(bad.SerializeAsString()).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(restored.CanonicalState(), world_.complaints.CanonicalState());
  EXPECT_EQ(ComplaintProjection().Restore(world_.calendar.CanonicalState()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ComplaintNamesTest, StatesClocksAndCommandsHaveNamesAndPendingClocksCountForNoCompliance) {
  EXPECT_EQ(ComplaintStateName(ComplaintState::kNotified), "customer notified");
  EXPECT_EQ(ComplaintStateName(ComplaintState::kReopened), "reopened");
  EXPECT_EQ(ClockKindName(ClockKind::kNotification), "notification");
  EXPECT_EQ(ClockStatusName(ClockStatus::kDueUnknown), "due unknown");
  EXPECT_EQ(ComplaintCommandName(ComplaintStep::kConfirm), "ConfirmResolution");
  SlaCounts counts;
  EXPECT_FALSE(counts.compliance_bp().has_value());
  counts.Add(ClockStatus::kMet);
  counts.Add(ClockStatus::kMet);
  counts.Add(ClockStatus::kBreached);
  counts.Add(ClockStatus::kPending);
  EXPECT_EQ(counts.compliance_bp(), 6666);
  EXPECT_EQ(counts.clocks(), 4);
}

}  // namespace
}  // namespace loyalty::projections
