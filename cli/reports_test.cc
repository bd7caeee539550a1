#include "cli/reports.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace loyalty::cli {
namespace {

using ::testing::EndsWith;

// 2024-01-01T00:00:00Z = 2024-01-01T08:00:00+08:00.
constexpr int64_t kJan2024Us = 1704067200LL * 1000000;
constexpr int64_t kDayUs = 86400LL * 1000000;

MemberView SilverMember() {
  MemberView member;
  member.member_id = "M1";
  member.enrolled_at_us = kJan2024Us;
  member.available_points = 5123;
  member.debt_points = 0;
  member.earned_points_total = 5200;
  member.redeemed_points_total = 50;
  member.expired_points_total = 0;
  member.clawed_back_points_total = 27;
  member.lots.push_back({5023, kJan2024Us + kDayUs,
                         kJan2024Us + 731 * kDayUs - 8 * 3600000000LL - 1,
                         v1::GRANT_REASON_PURCHASE, "P1"});
  member.lots.push_back(
      {100, kJan2024Us + 2 * kDayUs, kJan2024Us + 731 * kDayUs - 1, v1::GRANT_REASON_GOODWILL, ""});
  member.tier = v1::TIER_SILVER;
  member.tier_protected_until_us = kJan2024Us + 366 * kDayUs;
  member.qualifying_spend_fen = 512345;
  member.tier_history.push_back(
      {kJan2024Us + kDayUs, v1::TIER_REGULAR, v1::TIER_SILVER, "upgrade", 512345});
  member.as_of_sequence = 9;
  member.as_of_us = kJan2024Us + 10 * kDayUs;
  member.as_of_kind = AsOf::Kind::kBusinessTime;
  return member;
}

ProgramView Program() {
  ProgramView program;
  program.as_of_sequence = 12;
  program.as_of_us = kJan2024Us + 10 * kDayUs;
  program.as_of_kind = AsOf::Kind::kSequence;
  program.tiers = {3, 1, 0, 0};
  program.liability = {5223, 40, 4, {}};
  program.partners.push_back(
      {"store-1", 1000000, 40500, 959500, 3, 1, 405, 10000, 2, 3, 1, 7500, 425});
  program.partners.push_back({"store-22", 5, 0, 5, 1, 0, 0, 0});
  Hash first{};
  first[0] = 0xab;
  Hash second{};
  second[31] = 0x01;
  program.digests = {{"balances", first}, {"partners", second}};
  return program;
}

void ExpectValidJson(const std::string& json) {
  EXPECT_THAT(json, EndsWith("}\n"));
  EXPECT_EQ(json.find('\n'), json.size() - 1) << json;
  google::protobuf::Struct parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
}

TEST(MemberReportTest, TextHasEveryFigureLotAndTierChange) {
  EXPECT_EQ(MemberText(SilverMember()),
            "member                M1\n"
            "erased                no\n"
            "enrolled              2024-01-01T08:00:00.000000+08:00\n"
            "tier                  silver (protected until 2025-01-01T08:00:00.000000+08:00)\n"
            "qualifying spend      5123.45 CNY\n"
            "available             5123 points\n"
            "debt                  0 points\n"
            "lifetime earned       5200 points\n"
            "lifetime redeemed     50 points\n"
            "lifetime expired      0 points\n"
            "lifetime clawed back  27 points\n"
            "lots:\n"
            "  POINTS  GRANTED                           EXPIRES                           "
            "REASON    SOURCE\n"
            "    5023  2024-01-02T08:00:00.000000+08:00  2025-12-31T23:59:59.999999+08:00  "
            "purchase  P1\n"
            "     100  2024-01-03T08:00:00.000000+08:00  2026-01-01T07:59:59.999999+08:00  "
            "goodwill  -\n"
            "tier history:\n"
            "  AT                                CHANGE             CAUSE    SPEND CNY\n"
            "  2024-01-02T08:00:00.000000+08:00  regular -> silver  upgrade    5123.45\n"
            "as of sequence 9, 2024-01-11T08:00:00.000000+08:00 (business time)\n");
}

TEST(MemberReportTest, TextSaysNoneWithoutLotsOrHistory) {
  MemberView member;
  member.member_id = "M2";
  member.erased = true;
  member.enrolled_at_us = kJan2024Us;
  member.as_of_sequence = 2;
  member.as_of_us = kJan2024Us;
  const std::string text = MemberText(member);
  EXPECT_THAT(text, ::testing::HasSubstr("erased                yes\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("tier                  regular\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("\nlots: none\ntier history: none\nas of sequence 2, "));
}

TEST(MemberReportTest, JsonHasEveryFigureLotAndTierChange) {
  const std::string json = MemberJson(SilverMember());
  EXPECT_EQ(
      json,
      "{\"member_id\":\"M1\",\"erased\":false,"
      "\"enrolled_at\":\"2024-01-01T08:00:00.000000+08:00\",\"enrolled_at_us\":1704067200000000,"
      "\"tier\":\"silver\",\"tier_protected_until\":\"2025-01-01T08:00:00.000000+08:00\","
      "\"tier_protected_until_us\":1735689600000000,\"qualifying_spend_fen\":512345,"
      "\"available_points\":5123,\"debt_points\":0,\"earned_points_total\":5200,"
      "\"redeemed_points_total\":50,\"expired_points_total\":0,\"clawed_back_points_total\":27,"
      "\"lots\":[{\"points_remaining\":5023,"
      "\"granted_at\":\"2024-01-02T08:00:00.000000+08:00\",\"granted_at_us\":1704153600000000,"
      "\"expires_at\":\"2025-12-31T23:59:59.999999+08:00\",\"expires_at_us\":1767196799999999,"
      "\"reason\":\"purchase\",\"source_id\":\"P1\"},"
      "{\"points_remaining\":100,"
      "\"granted_at\":\"2024-01-03T08:00:00.000000+08:00\",\"granted_at_us\":1704240000000000,"
      "\"expires_at\":\"2026-01-01T07:59:59.999999+08:00\",\"expires_at_us\":1767225599999999,"
      "\"reason\":\"goodwill\",\"source_id\":\"\"}],"
      "\"tier_history\":[{\"at\":\"2024-01-02T08:00:00.000000+08:00\","
      "\"at_us\":1704153600000000,\"from\":\"regular\",\"to\":\"silver\",\"cause\":\"upgrade\","
      "\"qualifying_spend_fen\":512345}],"
      "\"as_of_sequence\":9,\"as_of\":\"2024-01-11T08:00:00.000000+08:00\","
      "\"as_of_us\":1704931200000000,\"as_of_axis\":\"business_time\"}\n");
  ExpectValidJson(json);
}

TEST(ProgramReportTest, TiersShowTheMembersOfEachTier) {
  EXPECT_EQ(TiersText(Program()),
            "TIER      MEMBERS\n"
            "regular         3\n"
            "silver          1\n"
            "gold            0\n"
            "platinum        0\n"
            "as of sequence 12, 2024-01-11T08:00:00.000000+08:00 (by sequence)\n");
  const std::string json = TiersJson(Program());
  EXPECT_EQ(json,
            "{\"regular\":3,\"silver\":1,\"gold\":0,\"platinum\":0,\"as_of_sequence\":12,"
            "\"as_of\":\"2024-01-11T08:00:00.000000+08:00\",\"as_of_us\":1704931200000000,"
            "\"as_of_axis\":\"by_sequence\"}\n");
  ExpectValidJson(json);
}

TEST(ProgramReportTest, LiabilityShowsOutstandingPointsDebtAndMembers) {
  EXPECT_EQ(LiabilityText(Program()),
            "outstanding  5223 points\n"
            "debt         40 points\n"
            "members      4\n"
            "as of sequence 12, 2024-01-11T08:00:00.000000+08:00 (by sequence)\n");
  const std::string json = LiabilityJson(Program());
  EXPECT_EQ(json,
            "{\"outstanding_points\":5223,\"debt_points\":40,\"members\":4,\"as_of_sequence\":12,"
            "\"as_of\":\"2024-01-11T08:00:00.000000+08:00\",\"as_of_us\":1704931200000000,"
            "\"as_of_axis\":\"by_sequence\"}\n");
  ExpectValidJson(json);
}

TEST(ProgramReportTest, PartnersShowARowPerStoreOrSayThereAreNone) {
  EXPECT_EQ(PartnersText(Program()),
            "PARTNER   GROSS CNY  REFUNDED CNY  NET CNY  PURCHASES  REFUNDS  REFUND RATE  "
            "POINTS ISSUED  COMPLAINTS  SLA MET  SLA BREACHED  SLA RATE  SATISFACTION\n"
            "store-1    10000.00        405.00  9595.00          3        1        4.05%  "
            "        10000           2        3             1    75.00%          4.25\n"
            "store-22       0.05          0.00     0.05          1        0        0.00%  "
            "            0           0        0             0         -             -\n"
            "as of sequence 12, 2024-01-11T08:00:00.000000+08:00 (by sequence)\n");
  const std::string json = PartnersJson(Program());
  EXPECT_EQ(json,
            "{\"partners\":[{\"partner_id\":\"store-1\",\"gross_sales_fen\":1000000,"
            "\"refunded_fen\":40500,\"net_sales_fen\":959500,\"purchase_count\":3,"
            "\"refund_count\":1,\"refund_rate_bp\":405,\"points_issued\":10000,"
            "\"complaint_count\":2,\"sla_met\":3,\"sla_breached\":1,\"sla_compliance_bp\":7500,"
            "\"average_satisfaction_centi\":425},"
            "{\"partner_id\":\"store-22\",\"gross_sales_fen\":5,\"refunded_fen\":0,"
            "\"net_sales_fen\":5,\"purchase_count\":1,\"refund_count\":0,\"refund_rate_bp\":0,"
            "\"points_issued\":0,\"complaint_count\":0,\"sla_met\":0,\"sla_breached\":0,"
            "\"sla_compliance_bp\":null,\"average_satisfaction_centi\":null}],"
            "\"as_of_sequence\":12,"
            "\"as_of\":\"2024-01-11T08:00:00.000000+08:00\",\"as_of_us\":1704931200000000,"
            "\"as_of_axis\":\"by_sequence\"}\n");
  ExpectValidJson(json);
  ProgramView empty;
  EXPECT_EQ(PartnersText(empty), "no partners\nas of sequence 0, none (now)\n");
  EXPECT_EQ(PartnersJson(empty),
            "{\"partners\":[],\"as_of_sequence\":0,\"as_of\":null,\"as_of_us\":0,"
            "\"as_of_axis\":\"now\"}\n");
}

// A complaint of two cycles: the first resolved and answered, the second
// started, its reply's deadline unknown (no schedule for 2025).
ComplaintView TwoCycleComplaint() {
  ComplaintView complaint;
  complaint.complaint_id = "C1";
  complaint.member_id = "M1";
  complaint.category = "parking";
  complaint.channel = v1::CHANNEL_APP;
  complaint.state = ComplaintState::kReopened;
  complaint.filed_at_us = kJan2024Us;
  complaint.goodwill_points_total = 50;
  complaint.satisfaction_score = 1;
  ComplaintCycleView& first = complaint.cycles.emplace_back();
  first.cycle = 1;
  first.started_at_us = kJan2024Us;
  first.reply = {SlaClockKind::kReply, kJan2024Us, 3, kJan2024Us + 3 * kDayUs, 0,
                 kJan2024Us + kDayUs, SlaClockStatus::kMet};
  first.resolved_at_us = kJan2024Us + 2 * kDayUs;
  first.resolution = "apology";
  first.goodwill_points = 50;
  first.has_notification = true;
  first.notification = {SlaClockKind::kNotification, first.resolved_at_us, 5,
                        kJan2024Us + 9 * kDayUs, 0, 0, SlaClockStatus::kBreached};
  first.confirmed_at_us = kJan2024Us + 12 * kDayUs;
  first.satisfaction_score = 1;
  const int64_t reopened_at_us = first.confirmed_at_us;
  // emplace_back may move the cycles: `first` is not used past it.
  ComplaintCycleView& second = complaint.cycles.emplace_back();
  second.cycle = 2;
  second.started_at_us = reopened_at_us;
  second.reply = {SlaClockKind::kReply, second.started_at_us, 3, 0, 2025, 0,
                  SlaClockStatus::kDueUnknown};
  complaint.as_of_sequence = 30;
  complaint.as_of_us = kJan2024Us + 20 * kDayUs;
  complaint.as_of_kind = AsOf::Kind::kRecordedTime;
  return complaint;
}

TEST(ComplaintReportTest, TextShowsCyclesAndClocks) {
  const std::string text = ComplaintText(TwoCycleComplaint());
  EXPECT_THAT(text, ::testing::StartsWith("complaint     C1\n"
                                          "member        M1\n"
                                          "partner       (mall)\n"
                                          "category      parking\n"
                                          "channel       app\n"
                                          "state         reopened\n"));
  EXPECT_THAT(text, ::testing::HasSubstr(
                        "      1  notification  2024-01-10T08:00:00.000000+08:00                 -"
                        "                                 breached\n"
                        "      2  reply         unknown: no holiday schedule is loaded for 2025  -"
                        "                                 due unknown\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("  dissatisfied (1)\n"));
  EXPECT_THAT(text,
              EndsWith("as of sequence 30, 2024-01-21T08:00:00.000000+08:00 (recorded time)\n"));
}

TEST(ComplaintReportTest, JsonHasNullsForWhatHasNotHappened) {
  const std::string json = ComplaintJson(TwoCycleComplaint());
  ExpectValidJson(json);
  EXPECT_THAT(json, ::testing::HasSubstr("\"state\":\"reopened\""));
  EXPECT_THAT(json, ::testing::HasSubstr("\"due_at\":null,\"due_at_us\":0,"
                                         "\"missing_calendar_year\":2025"));
  EXPECT_THAT(json, ::testing::HasSubstr("\"notification\":null"));
  EXPECT_THAT(json, ::testing::HasSubstr("\"investigation_started_at\":null"));
}

TEST(SlaReportTest, TextAndJsonShowTheCountsByGroupAndTheOpenClocks) {
  SlaReportView report;
  report.from_day = absl::CivilDay(2024, 1, 1);
  report.to_day = absl::CivilDay(2024, 1, 31);
  report.cycles = 2;
  report.reopens = 1;
  report.total = {"", {1, 1, 0, 1, 5000}, {1, 0, 0, 1, 10000}, {0, 1, 0, 0, 0}};
  report.by_due_month = {{"2024-01", {1, 1, 0, 0, 5000}, {1, 0, 0, 0, 10000}, {0, 1, 0, 0, 0}}};
  report.by_partner = {{"", report.total.all, report.total.reply, report.total.notification}};
  report.by_category = {{"parking", report.total.all, report.total.reply,
                         report.total.notification}};
  report.open_clocks.push_back({"C1", "", "parking", 2,
                                TwoCycleComplaint().cycles[1].reply});
  report.open_clock_count = 1;
  report.as_of_sequence = 30;
  report.as_of_us = kJan2024Us + 20 * kDayUs;
  const std::string text = SlaReportText(report, true);
  EXPECT_THAT(text, ::testing::StartsWith(
                        "window      cycles started 2024-01-01 to 2024-01-31\n"
                        "cycles      2 (1 reopening)\n"
                        "clocks      3: 1 met, 1 breached, 0 pending, 1 due unknown\n"
                        "compliance  50.00% (reply 100.00%, notification 0.00%)\n"
                        "by due month:\n"
                        "  MONTH    MET  BREACHED  PENDING  UNKNOWN  COMPLIANCE    REPLY  "
                        "NOTIFICATION\n"
                        "  2024-01    1         1        0        0      50.00%  100.00%         "
                        "0.00%\n"
                        "by partner:\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("  (mall)     1"));
  EXPECT_THAT(text, ::testing::HasSubstr("open clocks nearest their deadline (1 of 1):\n"));
  EXPECT_THAT(text, ::testing::HasSubstr(
                        "  unknown: no holiday schedule is loaded for 2025  due unknown  C1"));
  EXPECT_THAT(SlaReportText(SlaReportView(), false),
              ::testing::HasSubstr("window      all cycles\n"));
  EXPECT_THAT(SlaReportText(SlaReportView(), false),
              ::testing::HasSubstr("compliance  - (reply -, notification -)\n"
                                   "by due month: none\nby partner: none\nby category: none\n"
                                   "open clocks: none\n"));
  const std::string json = SlaReportJson(report, true);
  ExpectValidJson(json);
  EXPECT_THAT(json, ::testing::StartsWith("{\"from\":\"2024-01-01\",\"to\":\"2024-01-31\","
                                          "\"cycles\":2,\"reopens\":1,\"all\":{\"met\":1,"
                                          "\"breached\":1,\"pending\":0,\"due_unknown\":1,"
                                          "\"compliance_bp\":5000},"));
  EXPECT_THAT(SlaReportJson(SlaReportView(), false),
              ::testing::HasSubstr("\"from\":null,\"to\":null,"));
  EXPECT_THAT(SlaReportJson(SlaReportView(), false),
              ::testing::HasSubstr("\"compliance_bp\":null"));
}

TEST(DeadlineReportTest, NamesTheWeekdays) {
  // 2024-02-09T10:00+08:00, due at the end of 2024-02-20.
  EXPECT_EQ(DeadlineText(1707444000000000, 3, 1708444799999999),
            "from          2024-02-09T10:00:00.000000+08:00 (Friday)\n"
            "working days  3\n"
            "due           2024-02-20T23:59:59.999999+08:00 (Tuesday)\n");
  const std::string json = DeadlineJson(1707444000000000, 3, 1708444799999999);
  ExpectValidJson(json);
  EXPECT_EQ(json,
            "{\"from\":\"2024-02-09T10:00:00.000000+08:00\",\"from_us\":1707444000000000,"
            "\"working_days\":3,\"due\":\"2024-02-20T23:59:59.999999+08:00\","
            "\"due_us\":1708444799999999}\n");
}

TEST(CalendarLoadReportTest, SaysWhetherTheCalendarWasLoadedOrWasLoadedAlready) {
  v1::CalendarDaysDeclared declaration;
  declaration.set_source("mall");
  v1::DeclaredDay* day = declaration.add_days();
  day->set_kind(v1::DAY_KIND_WORKING_DAY);
  CommandResult result;
  result.sequences = {7};
  EXPECT_EQ(CalendarLoadText(declaration, &result),
            "loaded calendar mall (covering no whole year): 1 day (0 holidays, 1 working day) at "
            "sequence 7\n");
  EXPECT_EQ(CalendarLoadText(declaration, nullptr),
            "calendar mall (covering no whole year) is already loaded: its 1 day (0 holidays, 1 "
            "working day) are declared so already; nothing appended\n");
  const std::string json = CalendarLoadJson(declaration, &result);
  ExpectValidJson(json);
  EXPECT_EQ(json,
            "{\"source\":\"mall\",\"covers_year\":null,\"days\":1,\"holidays\":0,"
            "\"working_days\":1,\"loaded\":true,\"sequence\":7}\n");
}

TEST(DigestReportTest, DigestsAndRebuildPrintTheSameLines) {
  const ProgramView program = Program();
  const std::string zeros(60, '0');
  EXPECT_EQ(DigestsText(program.digests),
            absl::StrCat("balances  ab", zeros, "00\n", "partners  00", zeros, "01\n"));
  ExpectValidJson(DigestsJson(program));
  const std::string rebuild = RebuildJson(program.digests, 12, 3);
  EXPECT_EQ(rebuild, absl::StrCat("{\"digests\":[{\"name\":\"balances\",\"digest\":\"ab", zeros,
                                  "00\"},{\"name\":\"partners\",\"digest\":\"00", zeros,
                                  "01\"}],\"as_of_sequence\":12,\"anomalies\":3}\n"));
  ExpectValidJson(rebuild);
}

TEST(AnomalyReportTest, TextAndJsonListTheKeptAnomaliesAndCountTheRest) {
  AnomaliesView view;
  view.anomalies.push_back({12, "member-M1", "balances", "redemption_exceeds_balance",
                            "redeems 500 points but member \"M1\" has 120 available; 120 "
                            "redeemed, 380 dropped"});
  view.anomalies.push_back({40, "complaint-C1", "complaints", "complaint_step_out_of_order",
                            "a \"quoted\" message"});
  view.count = 2;
  view.as_of_sequence = 41;
  EXPECT_EQ(AnomaliesText(view),
            "anomalies: 2\n"
            "sequence  stream        projection  rule                         message\n"
            "      12  member-M1     balances    redemption_exceeds_balance   redeems 500 points "
            "but member \"M1\" has 120 available; 120 redeemed, 380 dropped\n"
            "      40  complaint-C1  complaints  complaint_step_out_of_order  a \"quoted\" "
            "message\n"
            "as of sequence 41\n");
  const std::string json = AnomaliesJson(view);
  ExpectValidJson(json);
  EXPECT_EQ(json,
            "{\"anomalies\":[{\"sequence\":12,\"stream_id\":\"member-M1\",\"projection\":"
            "\"balances\",\"rule\":\"redemption_exceeds_balance\",\"message\":\"redeems 500 "
            "points but member \\\"M1\\\" has 120 available; 120 redeemed, 380 dropped\"},"
            "{\"sequence\":40,\"stream_id\":\"complaint-C1\",\"projection\":\"complaints\","
            "\"rule\":\"complaint_step_out_of_order\",\"message\":\"a \\\"quoted\\\" "
            "message\"}],\"count\":2,\"as_of_sequence\":41}\n");
  view.count = 2500;
  EXPECT_EQ(AnomaliesText(view).substr(0, AnomaliesText(view).find('\n') + 1),
            "anomalies: 2500 (2 listed: each projection keeps the first 1000)\n");
  EXPECT_EQ(AnomaliesText(AnomaliesView()), "anomalies: 0\nas of sequence 0\n");
  EXPECT_EQ(AnomalyCountLine(3), "anomalies: 3 (see `loyalty anomalies`)\n");
}

TEST(BirthdaysReportTest, SaysHowManyWereGrantedAtWhichSequencesOrThatTheyWereAlready) {
  const absl::CivilDay day(2024, 1, 10);
  CommandResult granted;
  granted.sequences = {7, 8};
  EXPECT_EQ(BirthdaysText(day, granted),
            "granted 2 birthday bonuses on 2024-01-10: sequences 7 8\n");
  EXPECT_EQ(BirthdaysJson(day, kJan2024Us + 9 * kDayUs + 3600000000LL, granted),
            "{\"date\":\"2024-01-10\",\"occurred_at\":\"2024-01-10T09:00:00.000000+08:00\","
            "\"occurred_at_us\":1704848400000000,\"granted\":2,\"already_granted\":false,"
            "\"sequences\":[7,8]}\n");
  CommandResult one;
  one.sequences = {7};
  EXPECT_EQ(BirthdaysText(day, one), "granted 1 birthday bonus on 2024-01-10: sequences 7\n");
  EXPECT_EQ(BirthdaysText(day, CommandResult()), "granted 0 birthday bonuses on 2024-01-10\n");
  CommandResult retried = granted;
  retried.deduplicated = true;
  EXPECT_EQ(BirthdaysText(day, retried),
            "granted 0 birthday bonuses on 2024-01-10 (already granted at sequences 7 8)\n");
  EXPECT_EQ(BirthdaysJson(day, kJan2024Us + 9 * kDayUs + 3600000000LL, retried),
            "{\"date\":\"2024-01-10\",\"occurred_at\":\"2024-01-10T09:00:00.000000+08:00\","
            "\"occurred_at_us\":1704848400000000,\"granted\":0,\"already_granted\":true,"
            "\"sequences\":[7,8]}\n");
}

}  // namespace
}  // namespace loyalty::cli
