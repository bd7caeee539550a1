// The `loyalty` tool's engine commands (member, tiers, liability, partners,
// digests, rebuild, birthdays, calendar, complaint, sla), run as a
// subprocess on a ledger that the test builds through the public Engine API
// and closes first.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "engine/projection_store.h"
#include "loyalty/clock.h"
#include "loyalty/commands.h"
#include "loyalty/engine.h"
#include "loyalty/privacy.h"
#include "testing/commands.h"
#include "testing/events.h"
#include "testing/official_calendar.h"
#include "testing/temp_dir.h"
#include "tests/tool_runner.h"

namespace loyalty {
namespace {

using ::loyalty::testing::FilesHolding;
using ::loyalty::testing::Lines;
using ::loyalty::testing::RunTool;
using ::loyalty::testing::TempDir;
using ::loyalty::testing::ToolRun;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// 2024-01-01T00:00:00Z (08:00 at UTC+8).
constexpr int64_t kJan2024Us = 1704067200LL * 1000000;
constexpr int64_t kDayUs = 86400LL * 1000000;

// The sequences of the events the test's ledger holds, as the engine
// assigned them.
struct Built {
  uint64_t after_first_purchase = 0;  // M1 has 123 points
  uint64_t head = 0;
};

struct ComplaintsBuilt {
  uint64_t calendar = 0;  // the 2024 schedule
  uint64_t filed = 0;     // C1 filed
  uint64_t resolved = 0;  // C1 resolved, with its goodwill grant
  uint64_t head = 0;
};

// The instant of a local (UTC+8) wall-clock time.
int64_t LocalUs(int year, int month, int day, int hour, int minute = 0) {
  return absl::ToUnixMicros(absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, 0),
                                            absl::FixedTimeZone(8 * 3600)));
}

// Builds, through the Engine, a small history in which each day's events are
// recorded (ledger time) at 00:00Z of that day, 2024-01-01 to 2024-01-04:
//   day 1: M1 (born 5 January) and M2 (born 31 December) enrol
//   day 2: M1 buys 123.45 CNY at store-7 (123 points)
//   day 3: M1 buys `big_purchase_fen` at store-7 (6000 points by default)
//          and reaches silver; M2 buys 50.00 CNY at store-9 (50 points)
//   day 4: 1000.00 CNY of the big purchase is refunded (1000 points clawed
//          back); M1 redeems 100 points
class LedgerBuilder {
 public:
  explicit LedgerBuilder(const std::string& directory) {
    EngineOptions options;
    options.ledger.clock = &clock_;
    // The tool finds the key beside the directory, as the demo leaves it.
    const std::string key_path = directory + ".key";
    if (!std::filesystem::exists(key_path)) {
      EXPECT_TRUE(CreateMasterKeyFile(key_path).ok());
    }
    options.master_key = MasterKeyFromFile(key_path);
    auto opened = Engine::Open(directory, options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (opened.ok()) engine_ = std::move(*opened);
  }

  Built Build(int64_t big_purchase_fen = 600000) {
    Built built;
    if (engine_ == nullptr) return built;
    At(0);
    Enrol("M1", 1, 5);
    Enrol("M2", 12, 31);
    At(1);
    built.after_first_purchase = Purchase("M1", "P1", "store-7", 12345);
    At(2);
    Purchase("M1", "P2", "store-7", big_purchase_fen);
    Purchase("M2", "P3", "store-9", 5000);
    At(3);
    Check(engine_->Execute(testing::RefundCommand("F1", "P2", 100000, clock_.NowMicros())));
    built.head =
        Check(engine_->Execute(testing::RedeemCommand("R1", "M1", 100, clock_.NowMicros())));
    return built;
  }

  // Continues Build() with the 2024 calendar and two complaints, each event
  // recorded (ledger time) a second after it occurred:
  //   C1 (M1, store-7, service): filed Friday 2024-02-09, replied on
  //      21 February (late: due 20 February, after the Spring Festival),
  //      resolved on 30 April with 200 goodwill points, the customer
  //      notified on 10 May (due 10 May, after Labour Day), dissatisfied
  //      (score 2) on Sunday 12 May, replied again on 13 May: investigating.
  //   C2 (M2, store-9, parking): filed Monday 2024-03-04, replied on
  //      5 March, being investigated.
  //   Q1: M2's survey about store-9, score 5.
  ComplaintsBuilt BuildComplaints() {
    ComplaintsBuilt built;
    if (engine_ == nullptr) return built;
    auto declaration = ParseCalendarFile(testing::OfficialCalendarText(2024));
    EXPECT_TRUE(declaration.ok()) << declaration.status();
    if (!declaration.ok()) return built;
    Occur(LocalUs(2024, 1, 5, 9));
    built.calendar = Check(engine_->Execute(
        DeclareCalendarDays{*declaration, clock_.NowMicros(), "calendar-admin"}));
    Occur(LocalUs(2024, 2, 9, 10));
    built.filed = Check(engine_->Execute(FileComplaint{"C1", "M1", "store-7", "service",
                                                       v1::CHANNEL_PHONE, Now(), "desk"}));
    Occur(LocalUs(2024, 3, 4, 10));
    Check(engine_->Execute(
        FileComplaint{"C2", "M2", "store-9", "parking", v1::CHANNEL_APP, Now(), "desk"}));
    Occur(LocalUs(2024, 3, 5, 10));
    Check(engine_->Execute(ReplyToComplaint{"C2", v1::CHANNEL_APP, Now(), "desk"}));
    Occur(LocalUs(2024, 3, 5, 11));
    Check(engine_->Execute(StartInvestigation{"C2", Now(), "desk"}));
    Occur(LocalUs(2024, 2, 21, 10));
    Check(engine_->Execute(ReplyToComplaint{"C1", v1::CHANNEL_SMS, Now(), "desk"}));
    Occur(LocalUs(2024, 2, 21, 11));
    Check(engine_->Execute(StartInvestigation{"C1", Now(), "desk"}));
    Occur(LocalUs(2024, 3, 9, 12));
    Check(engine_->Execute(RecordSurvey{"Q1", "M2", "store-9", "", 5, Now(), "survey-app"}));
    Occur(LocalUs(2024, 4, 30, 10));
    built.resolved = Check(engine_->Execute(ResolveComplaint{"C1", "apology", 200, Now(), "desk"}));
    Occur(LocalUs(2024, 5, 10, 18));
    Check(engine_->Execute(NotifyCustomer{"C1", v1::CHANNEL_SMS, Now(), "desk"}));
    Occur(LocalUs(2024, 5, 12, 10));
    Check(engine_->Execute(ConfirmResolution{"C1", false, 2, Now(), "desk"}));
    Occur(LocalUs(2024, 5, 13, 10));
    built.head = Check(engine_->Execute(ReplyToComplaint{"C1", v1::CHANNEL_SMS, Now(), "desk"}));
    return built;
  }

  // A program that starts its ledger on 5 January 2026 by importing its
  // history: recorded that day, X enrols on 10 January 2025 and buys for
  // 6000.00 CNY on 1 March 2025 (silver, 6000 points).
  uint64_t BuildImportedHistory() {
    if (engine_ == nullptr) return 0;
    clock_.Set(LocalUs(2026, 1, 5, 9));
    Check(engine_->Execute(testing::EnrolCommand("X", LocalUs(2025, 1, 10, 10), "import")));
    RecordPurchase purchase = testing::PurchaseCommand("P1", "X", 600000, LocalUs(2025, 3, 1, 10));
    purchase.actor_id = "import";
    return Check(engine_->Execute(purchase));
  }

  Engine& engine() { return *engine_; }

 private:
  void At(int day) { clock_.Set(kJan2024Us + day * kDayUs); }
  // Business time of the next command; the ledger records it a second later
  // (never going back).
  void Occur(int64_t at_us) {
    occurred_at_us_ = at_us;
    if (clock_.NowMicros() < at_us + 1000000) clock_.Set(at_us + 1000000);
  }
  int64_t Now() const { return occurred_at_us_; }
  int64_t occurred_at_us_ = 0;

  // The last sequence the command appended.
  uint64_t Check(const absl::StatusOr<CommandResult>& result) {
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok() || result->sequences.empty()) return 0;
    return result->sequences.back();
  }

  void Enrol(const std::string& member_id, int month, int day) {
    EnrolMember command =
        testing::EnrolBornOnCommand(member_id, 1990, month, day, clock_.NowMicros());
    command.personal.mutable_plain()->set_name("Test Member");
    Check(engine_->Execute(command));
  }

  uint64_t Purchase(const std::string& member_id, const std::string& purchase_id,
                    const std::string& partner_id, int64_t amount_fen) {
    return Check(engine_->Execute(testing::PurchaseCommand(purchase_id, member_id, amount_fen,
                                                           clock_.NowMicros(), partner_id)));
  }

  ManualClock clock_{kJan2024Us};
  std::unique_ptr<Engine> engine_;
};

class EngineCliTest : public ::testing::Test {
 protected:
  // Builds the ledger at db_ and closes it, so that the tool may open it.
  void SetUp() override {
    LedgerBuilder builder(db_);
    built_ = builder.Build();
    ASSERT_GT(built_.head, built_.after_first_purchase);
  }

  ToolRun Loyalty(const std::vector<std::string>& args) {
    const std::string capture_prefix = dir_.Sub(absl::StrCat("run-", runs_));
    ++runs_;
    return RunTool(LOYALTY_BINARY, args, "/dev/null", dir_.path(), capture_prefix);
  }

  // `loyalty --db <db_> args...`, which must succeed.
  std::string OnLedger(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", db_});
    ToolRun run = Loyalty(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_THAT(run.err, IsEmpty());
    return run.out;
  }

  std::string AtHead() { return absl::StrCat(built_.head); }

  TempDir dir_;
  std::string db_ = dir_.Sub("db");
  Built built_;
  int runs_ = 0;
};

google::protobuf::Struct ParseJson(const std::string& json) {
  google::protobuf::Struct parsed;
  auto status = google::protobuf::util::JsonStringToMessage(json, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << ": " << json;
  EXPECT_EQ(Lines(json).size(), 1u) << json;
  return parsed;
}

double Number(const google::protobuf::Struct& object, const std::string& key) {
  EXPECT_TRUE(object.fields().contains(key)) << key;
  return object.fields().contains(key) ? object.fields().at(key).number_value() : -1;
}

std::string Text(const google::protobuf::Struct& object, const std::string& key) {
  EXPECT_TRUE(object.fields().contains(key)) << key;
  return object.fields().contains(key) ? object.fields().at(key).string_value() : "";
}

TEST_F(EngineCliTest, MemberShowTextHasEveryFigureLotAndTierChange) {
  const std::string out = OnLedger({"member", "show", "M1", "--at-seq", AtHead()});
  // 123 + 6000 earned, 1000 clawed back, 100 redeemed.
  EXPECT_THAT(out, StartsWith("member                M1\n"
                              "erased                no\n"
                              "enrolled              2024-01-01T08:00:00.000000+08:00\n"
                              "tier                  silver (protected until "));
  EXPECT_THAT(out, HasSubstr("\navailable             5023 points\n"
                             "debt                  0 points\n"
                             "lifetime earned       6123 points\n"
                             "lifetime redeemed     100 points\n"
                             "lifetime expired      0 points\n"
                             "lifetime clawed back  1000 points\n"));
  // 123.45 + 6000.00 - 1000.00 CNY within the window.
  EXPECT_THAT(out, HasSubstr("\nqualifying spend      5123.45 CNY\n"));
  EXPECT_THAT(out, HasSubstr("\nlots:\n  POINTS  GRANTED "));
  EXPECT_THAT(out, HasSubstr("2025-12-31T23:59:59.999999+08:00  purchase  P"));
  EXPECT_THAT(out, HasSubstr("\ntier history:\n  AT "));
  EXPECT_THAT(out, HasSubstr("  2024-01-03T08:00:00.000000+08:00  regular -> silver  upgrade  "));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("\nas of sequence ", built_.head,
                                          ", 2024-01-04T08:00:00.000000+08:00 (by sequence)\n")));
}

TEST_F(EngineCliTest, MemberShowJsonHasEveryFigureLotAndTierChange) {
  const google::protobuf::Struct member =
      ParseJson(OnLedger({"member", "show", "M1", "--at-seq", AtHead(), "--json"}));
  EXPECT_EQ(Text(member, "member_id"), "M1");
  EXPECT_FALSE(member.fields().at("erased").bool_value());
  EXPECT_EQ(Text(member, "tier"), "silver");
  EXPECT_EQ(Number(member, "qualifying_spend_fen"), 512345);
  EXPECT_EQ(Number(member, "available_points"), 5023);
  EXPECT_EQ(Number(member, "debt_points"), 0);
  EXPECT_EQ(Number(member, "earned_points_total"), 6123);
  EXPECT_EQ(Number(member, "redeemed_points_total"), 100);
  EXPECT_EQ(Number(member, "expired_points_total"), 0);
  EXPECT_EQ(Number(member, "clawed_back_points_total"), 1000);
  EXPECT_EQ(Number(member, "as_of_sequence"), static_cast<double>(built_.head));
  const auto& lots = member.fields().at("lots").list_value().values();
  int64_t lot_points = 0;
  for (const auto& lot : lots) {
    lot_points += static_cast<int64_t>(Number(lot.struct_value(), "points_remaining"));
    EXPECT_EQ(Text(lot.struct_value(), "reason"), "purchase");
    EXPECT_EQ(Text(lot.struct_value(), "expires_at"), "2025-12-31T23:59:59.999999+08:00");
  }
  EXPECT_EQ(lot_points, 5023);
  const auto& history = member.fields().at("tier_history").list_value().values();
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(Text(history[0].struct_value(), "from"), "regular");
  EXPECT_EQ(Text(history[0].struct_value(), "to"), "silver");
  EXPECT_EQ(Text(history[0].struct_value(), "cause"), "upgrade");
}

TEST_F(EngineCliTest, MemberAtAnEarlierPointShowsTheSmallerBalance) {
  const std::string at_seq = absl::StrCat(built_.after_first_purchase);
  const google::protobuf::Struct by_sequence =
      ParseJson(OnLedger({"member", "show", "M1", "--at-seq", at_seq, "--json"}));
  EXPECT_EQ(Number(by_sequence, "available_points"), 123);
  EXPECT_EQ(Text(by_sequence, "tier"), "regular");
  EXPECT_EQ(Number(by_sequence, "as_of_sequence"),
            static_cast<double>(built_.after_first_purchase));
  EXPECT_THAT(OnLedger({"member", "show", "M1", "--at-seq", at_seq}),
              HasSubstr("\navailable             123 points\n"));

  // The end of 2 January at UTC+8 is after the first purchase was recorded
  // (00:00Z) and before the second (3 January 00:00Z).
  for (const char* as_of : {"2024-01-02", "2024-01-02T23:59:59+08:00", "2024-01-02T00:00:00Z"}) {
    const google::protobuf::Struct by_time =
        ParseJson(OnLedger({"member", "show", "M1", "--as-of", as_of, "--json"}));
    EXPECT_EQ(Number(by_time, "available_points"), 123) << as_of;
  }
  const google::protobuf::Struct later =
      ParseJson(OnLedger({"member", "show", "M1", "--as-of", "2024-01-03", "--json"}));
  EXPECT_EQ(Number(later, "available_points"), 6123);
}

TEST_F(EngineCliTest, UnknownMemberNamesTheMember) {
  ToolRun run = Loyalty({"--db", db_, "member", "show", "M404"});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err, StartsWith("loyalty: "));
  EXPECT_THAT(run.err, HasSubstr("\"M404\""));

  // M1 enrolled on 1 January: at the end of 31 December it did not exist.
  ToolRun before = Loyalty({"--db", db_, "member", "show", "M1", "--as-of", "2023-12-31"});
  EXPECT_EQ(before.exit_code, 3);
  EXPECT_THAT(before.err, HasSubstr("\"M1\""));
  EXPECT_THAT(before.err, HasSubstr("--as-of 2023-12-31"));
}

TEST_F(EngineCliTest, MemberNeedsShowAndAnId) {
  ToolRun list = Loyalty({"--db", db_, "member", "list", "M1"});
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_THAT(list.err, HasSubstr("unknown subcommand \"list\""));
  ToolRun missing = Loyalty({"--db", db_, "member", "show"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("missing argument"));
}

TEST_F(EngineCliTest, TiersCountsTheMembersOfEachTier) {
  EXPECT_EQ(OnLedger({"tiers", "--at-seq", AtHead()}),
            absl::StrCat("TIER      MEMBERS\n"
                         "regular         1\n"
                         "silver          1\n"
                         "gold            0\n"
                         "platinum        0\n"
                         "as of sequence ",
                         built_.head, ", 2024-01-04T08:00:00.000000+08:00 (by sequence)\n"));
  const google::protobuf::Struct early = ParseJson(
      OnLedger({"tiers", "--at-seq", absl::StrCat(built_.after_first_purchase), "--json"}));
  EXPECT_EQ(Number(early, "regular"), 2);
  EXPECT_EQ(Number(early, "silver"), 0);
}

TEST_F(EngineCliTest, LiabilityPrintsOutstandingPointsDebtAndMembers) {
  EXPECT_EQ(OnLedger({"liability", "--at-seq", AtHead()}),
            absl::StrCat("outstanding  5073 points\n"
                         "debt         0 points\n"
                         "members      2\n"
                         "as of sequence ",
                         built_.head, ", 2024-01-04T08:00:00.000000+08:00 (by sequence)\n"));
  const google::protobuf::Struct json =
      ParseJson(OnLedger({"liability", "--as-of", "2024-01-02", "--json"}));
  EXPECT_EQ(Number(json, "outstanding_points"), 123);
  EXPECT_EQ(Number(json, "members"), 2);
  EXPECT_EQ(Text(json, "as_of"), "2024-01-02T23:59:59.999999+08:00");
}

TEST_F(EngineCliTest, PartnersPrintsEachStoresSalesRefundsAndRefundRate) {
  // store-7: 123.45 + 6000.00 gross, 1000.00 refunded: 100000 * 10000 /
  // 612345 = 1633 basis points.
  const std::vector<std::string> lines = Lines(OnLedger({"partners", "--at-seq", AtHead()}));
  EXPECT_THAT(lines, ElementsAre("PARTNER  GROSS CNY  REFUNDED CNY  NET CNY  PURCHASES  REFUNDS  "
                                 "REFUND RATE  POINTS ISSUED  COMPLAINTS  SLA MET  SLA BREACHED  "
                                 "SLA RATE  SATISFACTION",
                                 "store-7    6123.45       1000.00  5123.45          2        1  "
                                 "     16.33%           6123           0        0             0  "
                                 "       -             -",
                                 "store-9      50.00          0.00    50.00          1        0  "
                                 "      0.00%             50           0        0             0  "
                                 "       -             -",
                                 StartsWith("as of sequence ")));
  const google::protobuf::Struct json = ParseJson(OnLedger({"partners", "--json"}));
  const auto& partners = json.fields().at("partners").list_value().values();
  ASSERT_EQ(partners.size(), 2u);
  const google::protobuf::Struct& store = partners[0].struct_value();
  EXPECT_EQ(Text(store, "partner_id"), "store-7");
  EXPECT_EQ(Number(store, "gross_sales_fen"), 612345);
  EXPECT_EQ(Number(store, "refunded_fen"), 100000);
  EXPECT_EQ(Number(store, "net_sales_fen"), 512345);
  EXPECT_EQ(Number(store, "refund_rate_bp"), 1633);
  EXPECT_EQ(Number(store, "complaint_count"), 0);
  EXPECT_EQ(Number(store, "sla_met"), 0);
  EXPECT_EQ(store.fields().at("sla_compliance_bp").kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_EQ(store.fields().at("average_satisfaction_centi").kind_case(),
            google::protobuf::Value::kNullValue);

  EXPECT_THAT(OnLedger({"partners", "--at-seq", "0"}), StartsWith("no partners\n"));
}

TEST_F(EngineCliTest, RebuildPrintsTheDigestsThatDigestsPrints) {
  const std::string digests = OnLedger({"digests"});
  const std::vector<std::string> lines = Lines(digests);
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines) {
    EXPECT_THAT(line, ::testing::MatchesRegex("[a-z0-9_-]+ +[0-9a-f]{64}")) << line;
  }
  EXPECT_EQ(OnLedger({"rebuild"}), digests);
  EXPECT_EQ(OnLedger({"digests"}), digests);
  // By sequence, every member is evaluated at the business time of the
  // head's event: M2, whose last event is a day earlier, moves to it, and so
  // do the digests of the balances and the tiers.
  const std::vector<std::string> at_head = Lines(OnLedger({"digests", "--at-seq", AtHead()}));
  ASSERT_EQ(at_head.size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const bool moves = absl::StartsWith(lines[i], "balances") || absl::StartsWith(lines[i], "tiers");
    EXPECT_EQ(at_head[i] != lines[i], moves) << lines[i];
  }
  EXPECT_NE(OnLedger({"digests", "--at-seq", absl::StrCat(built_.after_first_purchase)}), digests);

  const google::protobuf::Struct json = ParseJson(OnLedger({"rebuild", "--json"}));
  EXPECT_EQ(Number(json, "as_of_sequence"), static_cast<double>(built_.head));
  EXPECT_EQ(json.fields().at("digests").list_value().values_size(), static_cast<int>(lines.size()));
}

TEST_F(EngineCliTest, RebuildFindsProjectionsThatDoNotMatchTheLog) {
  // A second ledger with as many events but a different amount: its saved
  // projections, put beside this ledger, cannot be what this log replays to.
  const std::string other = dir_.Sub("other");
  {
    LedgerBuilder builder(other);
    ASSERT_EQ(builder.Build(/*big_purchase_fen=*/700000).head, built_.head);
  }
  std::filesystem::remove_all(db_ + "/projections");
  std::filesystem::copy(other + "/projections", db_ + "/projections",
                        std::filesystem::copy_options::recursive);
  // As such, it is set aside at open (tests/hostile/storage_test.cc); forged
  // to claim this log's chain hash, it is used, and only a replay shows it
  // wrong.
  {
    LedgerOptions read_only;
    read_only.read_only = true;
    auto ledger = Ledger::Open(db_, read_only);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    auto store = internal::ProjectionStore::Open(db_ + "/projections", /*read_only=*/false);
    ASSERT_TRUE(store.ok()) << store.status();
    auto checkpoint = (*store)->Load();
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
    auto hash = (*ledger)->HashAt(checkpoint->applied_sequence);
    ASSERT_TRUE(hash.ok());
    checkpoint->applied_hash.assign(reinterpret_cast<const char*>(hash->data()), hash->size());
    ASSERT_TRUE((*store)->Save(*checkpoint).ok());
  }
  ToolRun run = Loyalty({"--db", db_, "rebuild"});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err, StartsWith("loyalty: projection "));
  EXPECT_THAT(run.err, HasSubstr("do not match a replay of the log"));
}

TEST_F(EngineCliTest, BirthdaysAreGrantedOnce) {
  // M1 was born on 5 January, M2 on 31 December. January's bonuses fall due
  // on 31 January, not on the birthday.
  EXPECT_EQ(OnLedger({"birthdays", "--date", "2024-01-10"}),
            "granted 0 birthday bonuses on 2024-01-10\n");
  const std::string first = OnLedger({"birthdays", "--date", "2024-01-31"});
  EXPECT_EQ(first, absl::StrCat("granted 1 birthday bonus on 2024-01-31: sequences ",
                                built_.head + 1, "\n"));
  EXPECT_EQ(OnLedger({"birthdays", "--date", "2024-02-01"}),
            "granted 0 birthday bonuses on 2024-02-01\n");
  const google::protobuf::Struct again =
      ParseJson(OnLedger({"birthdays", "--date", "2024-01-31", "--json"}));
  EXPECT_EQ(Number(again, "granted"), 0);
  EXPECT_TRUE(again.fields().at("already_granted").bool_value());
  ASSERT_EQ(again.fields().at("sequences").list_value().values_size(), 1);
  EXPECT_EQ(again.fields().at("sequences").list_value().values(0).number_value(),
            static_cast<double>(built_.head + 1));
  EXPECT_EQ(Text(again, "occurred_at"), "2024-01-31T09:00:00.000000+08:00");
  EXPECT_EQ(OnLedger({"birthdays", "--date", "2024-01-31"}),
            absl::StrCat("granted 0 birthday bonuses on 2024-01-31 (already granted at sequences ",
                         built_.head + 1, ")\n"));

  const google::protobuf::Struct member = ParseJson(
      OnLedger({"member", "show", "M1", "--at-seq", absl::StrCat(built_.head + 1), "--json"}));
  EXPECT_EQ(Number(member, "available_points"), 5023 + 200);
  bool found = false;
  for (const auto& lot : member.fields().at("lots").list_value().values()) {
    if (Text(lot.struct_value(), "reason") == "birthday") {
      found = true;
      EXPECT_EQ(Number(lot.struct_value(), "points_remaining"), 200);
    }
  }
  EXPECT_TRUE(found);

  // The actor is recorded on the grant.
  const std::string december = OnLedger({"birthdays", "--date", "2024-12-31", "--actor", "ops"});
  EXPECT_THAT(december, StartsWith("granted 1 birthday bonus on 2024-12-31: sequences "));
  const std::vector<std::string> events = Lines(OnLedger({"stream", "member-M2", "--json"}));
  ASSERT_FALSE(events.empty());
  EXPECT_THAT(events.back(), HasSubstr("\"actor_id\":\"ops\""));
  EXPECT_THAT(events.back(), HasSubstr("\"points_granted\""));
}

// Appends a consent change for `member_id` through the engine (no command
// makes one), dated `at_us`.
void ChangeConsent(Engine& engine, const std::string& member_id, const v1::Consent& consent,
                   int64_t at_us) {
  v1::Envelope envelope = ::loyalty::testing::EnvelopeOn(
      absl::StrCat("member-", member_id), absl::StrCat("consent/", member_id, "/", at_us), at_us,
      "app");
  *envelope.mutable_event()->mutable_consent_changed()->mutable_consent() = consent;
  envelope.mutable_event()->mutable_consent_changed()->set_member_id(member_id);
  AppendBatch batch;
  batch.Add(std::move(envelope));
  auto appended = engine.Append(batch);
  EXPECT_TRUE(appended.ok()) << appended.status();
}

TEST_F(EngineCliTest, ContactableListsTheMembersWhoConsentedWithoutTheKey) {
  // M1 and M2 enrolled without any consent.
  EXPECT_EQ(OnLedger({"contactable", "--channel", "sms", "--purpose", "birthday-care"}),
            absl::StrCat("contactable by sms for birthday-care: 0\nas of sequence ", built_.head,
                         " (now)\n"));
  {
    ManualClock clock(kJan2024Us + 30 * kDayUs);
    EngineOptions options;
    options.ledger.clock = &clock;
    options.master_key = MasterKeyFromFile(db_ + ".key");
    auto engine = Engine::Open(db_, options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    v1::Consent offers_by_sms;
    offers_by_sms.set_marketing(true);
    offers_by_sms.set_sms(true);
    v1::Consent care_by_any;
    care_by_any.set_sms(true);
    care_by_any.set_email(true);
    ChangeConsent(**engine, "M1", offers_by_sms, kJan2024Us + 10 * kDayUs);
    ChangeConsent(**engine, "M2", care_by_any, kJan2024Us + 10 * kDayUs);
  }
  const uint64_t granted = built_.head + 2;
  EXPECT_EQ(OnLedger({"contactable", "--channel", "sms", "--purpose", "birthday-care"}),
            absl::StrCat("contactable by sms for birthday-care: 2\nM1\nM2\nas of sequence ",
                         granted, " (now)\n"));
  EXPECT_EQ(OnLedger({"contactable", "--channel", "sms", "--purpose", "offers"}),
            absl::StrCat("contactable by sms for offers: 1\nM1\nas of sequence ", granted,
                         " (now)\n"));
  EXPECT_EQ(OnLedger({"contactable", "--channel", "email", "--purpose", "offers", "--json"}),
            absl::StrCat("{\"channel\":\"email\",\"purpose\":\"offers\",\"member_ids\":[],"
                         "\"count\":0,\"as_of_sequence\":",
                         granted, ",\"as_of_axis\":\"now\"}\n"));
  EXPECT_EQ(OnLedger({"contactable", "--channel", "email", "--purpose", "birthday-care", "--at-seq",
                      AtHead()}),
            absl::StrCat("contactable by email for birthday-care: 0\nas of sequence ", built_.head,
                         " (by sequence)\n"));
  // Erased: never listed again.
  ASSERT_EQ(Loyalty({"--db", db_, "member", "erase", "M2", "--reason", "member request"}).exit_code,
            0);
  EXPECT_EQ(OnLedger({"contactable", "--channel", "email", "--purpose", "birthday-care"}),
            absl::StrCat("contactable by email for birthday-care: 0\nas of sequence ", granted + 1,
                         " (now)\n"));
  // The key is not needed: not even when it is gone.
  std::filesystem::rename(db_ + ".key", db_ + ".key-elsewhere");
  EXPECT_THAT(OnLedger({"contactable", "--channel", "sms", "--purpose", "offers"}),
              StartsWith("contactable by sms for offers: 1\nM1\n"));
}

TEST_F(EngineCliTest, ContactableNamesTheBadFlagAndPrintsNothing) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  for (const Case& bad : std::vector<Case>{
           {{"--purpose", "offers"}, "loyalty: contactable: flag --channel: \"\" is not a channel"},
           {{"--channel", "phone", "--purpose", "offers"},
            "loyalty: contactable: flag --channel: \"phone\": no consent to phone calls is "
            "recorded"},
           {{"--channel", "sms", "--purpose", "spam"},
            "loyalty: contactable: flag --purpose: \"spam\" is not a purpose (birthday-care or "
            "offers)"},
           {{"--channel", "sms", "--purpose", "offers", "--as-of", "yesterday"},
            "loyalty: contactable: flag --as-of"}}) {
    std::vector<std::string> args = {"--db", db_, "contactable"};
    args.insert(args.end(), bad.args.begin(), bad.args.end());
    ToolRun run = Loyalty(args);
    EXPECT_EQ(run.exit_code, 1) << bad.error;
    EXPECT_THAT(run.out, IsEmpty());
    EXPECT_THAT(run.err, StartsWith(bad.error));
  }
}

TEST_F(EngineCliTest, BirthdaysNeedsAValidDateAndAnActor) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"birthdays"},
                                             {"birthdays", "--date", "2024-02-30"},
                                             {"birthdays", "--date", "today"}}) {
    std::vector<std::string> command = {"--db", db_};
    command.insert(command.end(), args.begin(), args.end());
    ToolRun run = Loyalty(command);
    EXPECT_EQ(run.exit_code, 1) << args.size();
    EXPECT_THAT(run.err, StartsWith("loyalty: birthdays: flag --date"));
  }
  ToolRun actor = Loyalty({"--db", db_, "birthdays", "--date", "2024-01-10", "--actor", ""});
  EXPECT_EQ(actor.exit_code, 1);
  EXPECT_THAT(actor.err, HasSubstr("flag --actor"));
}

TEST_F(EngineCliTest, BadAsOfNamesTheFlagAndTheValue) {
  for (const char* command :
       {"member", "tiers", "liability", "partners", "digests", "complaint", "sla"}) {
    std::vector<std::string> args = {"--db", db_, command};
    if (std::string(command) == "member") args.insert(args.end(), {"show", "M1"});
    if (std::string(command) == "complaint") args.insert(args.end(), {"show", "C1"});
    if (std::string(command) == "sla") args.insert(args.end(), {"report"});
    std::vector<std::string> bad = args;
    bad.insert(bad.end(), {"--as-of", "2024-13-01"});
    ToolRun run = Loyalty(bad);
    EXPECT_EQ(run.exit_code, 1) << command;
    EXPECT_THAT(run.out, IsEmpty()) << command;
    EXPECT_THAT(run.err, HasSubstr("flag --as-of: \"2024-13-01\"")) << command;

    std::vector<std::string> both = args;
    both.insert(both.end(), {"--as-of", "2024-01-02", "--at-seq", "3"});
    ToolRun twice = Loyalty(both);
    EXPECT_EQ(twice.exit_code, 1) << command;
    EXPECT_THAT(twice.err, HasSubstr("--as-of and --at-seq")) << command;

    // Every report reads recorded time too, with the same checks.
    std::vector<std::string> bad_known_at = args;
    bad_known_at.insert(bad_known_at.end(), {"--known-at", "2024-13-01"});
    ToolRun known_at = Loyalty(bad_known_at);
    EXPECT_EQ(known_at.exit_code, 1) << command;
    EXPECT_THAT(known_at.err, HasSubstr("flag --known-at: \"2024-13-01\"")) << command;
    std::vector<std::string> two_axes = args;
    two_axes.insert(two_axes.end(), {"--as-of", "2024-01-02", "--known-at", "2024-01-02"});
    ToolRun axes = Loyalty(two_axes);
    EXPECT_EQ(axes.exit_code, 1) << command;
    EXPECT_THAT(axes.err, HasSubstr("--as-of and --known-at: give one of them")) << command;
  }
}

TEST_F(EngineCliTest, EngineCommandsOnAMissingDirectoryFailWithoutCreatingIt) {
  const std::string missing = dir_.Sub("missing");
  for (std::vector<std::string> command :
       std::vector<std::vector<std::string>>{{"member", "show", "M1"},
                                             {"tiers"},
                                             {"liability"},
                                             {"partners"},
                                             {"digests"},
                                             {"rebuild"},
                                             {"birthdays", "--date", "2024-01-10"},
                                             {"contactable", "--channel", "sms", "--purpose",
                                              "offers"},
                                             {"complaint", "show", "C1"},
                                             {"sla", "report"},
                                             {"calendar", "due", "--from", "2024-02-09",
                                              "--working-days", "3"}}) {
    command.insert(command.begin(), {"--db", missing});
    ToolRun run = Loyalty(command);
    EXPECT_EQ(run.exit_code, 1) << command[2];
    EXPECT_THAT(run.out, IsEmpty()) << command[2];
    EXPECT_THAT(run.err, HasSubstr(absl::StrCat("no ledger at ", missing))) << command[2];
    EXPECT_FALSE(std::filesystem::exists(missing)) << command[2];
  }
}

TEST_F(EngineCliTest, HelpListsTheEngineCommands) {
  ToolRun run = Loyalty({"help"});
  EXPECT_EQ(run.exit_code, 0);
  for (const char* command :
       {"member show ID", "tiers", "liability", "partners", "digests", "rebuild", "birthdays",
        "contactable --channel C --purpose P",
        "calendar load FILE | due", "complaint show ID", "sla report"}) {
    EXPECT_THAT(run.out, HasSubstr(absl::StrCat("\n  ", command, " "))) << command;
  }
  ToolRun member = Loyalty({"help", "member"});
  EXPECT_EQ(member.exit_code, 0);
  EXPECT_THAT(member.out, StartsWith("usage: loyalty member show ID [flags]\n"));
  EXPECT_THAT(member.out, HasSubstr("--as-of TIME"));
  EXPECT_THAT(member.out, HasSubstr("--at-seq N"));
}

// The complaint, SLA and calendar commands on the ledger of EngineCliTest
// continued with LedgerBuilder::BuildComplaints().
class ComplaintCliTest : public EngineCliTest {
 protected:
  void SetUp() override {
    LedgerBuilder builder(db_);
    built_ = builder.Build();
    complaints_ = builder.BuildComplaints();
    ASSERT_GT(complaints_.head, complaints_.resolved);
  }
  std::string AtComplaintsHead() { return absl::StrCat(complaints_.head); }
  std::string CalendarFile(int year) { return testing::OfficialCalendarPath(year); }

  ComplaintsBuilt complaints_;
};

TEST_F(ComplaintCliTest, ComplaintShowTextListsTheCyclesAndTheirClocks) {
  const std::string out = OnLedger({"complaint", "show", "C1", "--at-seq", AtComplaintsHead()});
  EXPECT_THAT(out, StartsWith("complaint     C1\n"
                              "member        M1\n"
                              "partner       store-7\n"
                              "category      service\n"
                              "channel       phone\n"
                              "state         investigating\n"
                              "filed         2024-02-09T10:00:00.000000+08:00\n"
                              "goodwill      200 points\n"
                              "satisfaction  2\n"
                              "cycles:\n"));
  EXPECT_THAT(
      out,
      HasSubstr("clocks:\n"
                "  CYCLE  CLOCK         DUE                               DONE"
                "                              STATUS\n"
                "      1  reply         2024-02-20T23:59:59.999999+08:00  "
                "2024-02-21T10:00:00.000000+08:00  breached\n"
                "      1  notification  2024-05-10T23:59:59.999999+08:00  "
                "2024-05-10T18:00:00.000000+08:00  met\n"
                "      2  reply         2024-05-15T23:59:59.999999+08:00  "
                "2024-05-13T10:00:00.000000+08:00  met\n"));
  EXPECT_THAT(out, HasSubstr("      1  2024-02-09T10:00:00.000000+08:00  "
                             "2024-04-30T10:00:00.000000+08:00  apology          200  "
                             "2024-05-12T10:00:00.000000+08:00  dissatisfied (2)\n"));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("as of sequence ", complaints_.head,
                                          ", 2024-05-13T10:00:00.000000+08:00 (by sequence)\n")));
}

TEST_F(ComplaintCliTest, ComplaintShowJsonGivesTheClocksAsOfAnyPoint) {
  const google::protobuf::Struct json =
      ParseJson(OnLedger({"complaint", "show", "C1", "--at-seq", AtComplaintsHead(), "--json"}));
  EXPECT_EQ(Text(json, "state"), "investigating");
  EXPECT_EQ(Text(json, "partner_id"), "store-7");
  EXPECT_EQ(Number(json, "goodwill_points_total"), 200);
  const auto& cycles = json.fields().at("cycles").list_value().values();
  ASSERT_EQ(cycles.size(), 2u);
  const google::protobuf::Struct& reply = cycles[0].struct_value().fields().at("reply").struct_value();
  EXPECT_EQ(Text(reply, "status"), "breached");
  EXPECT_EQ(Text(reply, "due_at"), "2024-02-20T23:59:59.999999+08:00");
  EXPECT_EQ(Number(reply, "working_days"), 3);
  EXPECT_EQ(cycles[1].struct_value().fields().at("notification").kind_case(),
            google::protobuf::Value::kNullValue);

  // Before the deadline the reply is pending; the morning after, breached,
  // though no event says so.
  const google::protobuf::Struct early =
      ParseJson(OnLedger({"complaint", "show", "C1", "--as-of", "2024-02-15", "--json"}));
  EXPECT_EQ(Text(early, "state"), "filed");
  EXPECT_EQ(Text(early.fields().at("cycles").list_value().values(0).struct_value().fields().at(
                     "reply").struct_value(),
                 "status"),
            "pending");
  EXPECT_THAT(OnLedger({"complaint", "show", "C1", "--as-of", "2024-02-21T08:00:00+08:00"}),
              HasSubstr("  breached\n"));

  ToolRun unknown = Loyalty({"--db", db_, "complaint", "show", "C404"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_THAT(unknown.err, HasSubstr("\"C404\" is not filed"));
  ToolRun before = Loyalty({"--db", db_, "complaint", "show", "C1", "--as-of", "2024-02-01"});
  EXPECT_EQ(before.exit_code, 3);
  EXPECT_THAT(before.err, HasSubstr("--as-of 2024-02-01"));
  ToolRun list = Loyalty({"--db", db_, "complaint", "list", "C1"});
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_THAT(list.err, HasSubstr("unknown subcommand \"list\""));
}

TEST_F(ComplaintCliTest, SlaReportCountsTheClocksByMonthPartnerAndCategoryAndListsTheOpenOnes) {
  const std::string out = OnLedger({"sla", "report", "--at-seq", AtComplaintsHead()});
  // C1: reply breached, notification met, second reply met; C2: reply met.
  EXPECT_THAT(out, StartsWith("window      all cycles\n"
                              "cycles      3 (1 reopening)\n"
                              "clocks      4: 3 met, 1 breached, 0 pending, 0 due unknown\n"
                              "compliance  75.00% (reply 66.66%, notification 100.00%)\n"));
  EXPECT_THAT(out, HasSubstr("by due month:\n"
                             "  MONTH    MET  BREACHED  PENDING  UNKNOWN  COMPLIANCE    REPLY"
                             "  NOTIFICATION\n"
                             "  2024-02    0         1        0        0       0.00%    0.00%"
                             "             -\n"));
  EXPECT_THAT(out, HasSubstr("by partner:\n"));
  EXPECT_THAT(out, HasSubstr("  store-7    2         1        0        0      66.66%   50.00%"
                             "       100.00%\n"
                             "  store-9    1         0        0        0     100.00%  100.00%"
                             "             -\n"));
  EXPECT_THAT(out, HasSubstr("by category:\n"));
  EXPECT_THAT(out, HasSubstr("open clocks: none\n"));

  const google::protobuf::Struct march = ParseJson(OnLedger(
      {"sla", "report", "--from", "2024-03-01", "--to", "2024-03-31", "--as-of", "2024-04-30",
       "--json"}));
  EXPECT_EQ(Text(march, "from"), "2024-03-01");
  EXPECT_EQ(Number(march, "cycles"), 1);
  EXPECT_EQ(Number(march.fields().at("all").struct_value(), "met"), 1);
  EXPECT_EQ(Number(march.fields().at("all").struct_value(), "compliance_bp"), 10000);
  EXPECT_EQ(Text(march, "as_of"), "2024-04-30T23:59:59.999999+08:00");

  // As of 1 May, C1's notification (due 10 May) is open and pending.
  const std::string may = OnLedger({"sla", "report", "--as-of", "2024-05-01"});
  EXPECT_THAT(may, HasSubstr("open clocks nearest their deadline (1 of 1):\n"
                             "  DUE                               STATUS   COMPLAINT  CYCLE"
                             "  CLOCK         PARTNER  CATEGORY\n"
                             "  2024-05-10T23:59:59.999999+08:00  pending  C1             1"
                             "  notification  store-7  service\n"));

  ToolRun half = Loyalty({"--db", db_, "sla", "report", "--from", "2024-03-01"});
  EXPECT_EQ(half.exit_code, 1);
  EXPECT_THAT(half.err, HasSubstr("give both or neither"));
  ToolRun backwards =
      Loyalty({"--db", db_, "sla", "report", "--from", "2024-03-02", "--to", "2024-03-01"});
  EXPECT_EQ(backwards.exit_code, 1);
  ToolRun other = Loyalty({"--db", db_, "sla", "list"});
  EXPECT_EQ(other.exit_code, 1);
}

TEST_F(ComplaintCliTest, PartnersShowComplaintsSlaAndSatisfaction) {
  const std::vector<std::string> lines =
      Lines(OnLedger({"partners", "--at-seq", AtComplaintsHead()}));
  ASSERT_EQ(lines.size(), 4u);
  // store-7: C1's clocks, 2 met and 1 breached; satisfaction 2 (C1).
  EXPECT_THAT(lines[1], ::testing::EndsWith("           1        2             1    66.66%          2.00"));
  // store-9: C2's reply met; satisfaction 5 (the survey).
  EXPECT_THAT(lines[2], ::testing::EndsWith("           1        1             0   100.00%          5.00"));
  const google::protobuf::Struct json =
      ParseJson(OnLedger({"partners", "--at-seq", AtComplaintsHead(), "--json"}));
  const google::protobuf::Struct& store =
      json.fields().at("partners").list_value().values(0).struct_value();
  EXPECT_EQ(Number(store, "complaint_count"), 1);
  EXPECT_EQ(Number(store, "sla_met"), 2);
  EXPECT_EQ(Number(store, "sla_breached"), 1);
  EXPECT_EQ(Number(store, "sla_compliance_bp"), 6666);
  EXPECT_EQ(Number(store, "average_satisfaction_centi"), 200);
}

TEST_F(ComplaintCliTest, CalendarDueCountsWorkingDaysAndRefusesAYearNotLoaded) {
  EXPECT_EQ(OnLedger({"calendar", "due", "--from", "2024-02-09T10:00:00+08:00", "--working-days",
                      "3"}),
            "from          2024-02-09T10:00:00.000000+08:00 (Friday)\n"
            "working days  3\n"
            "due           2024-02-20T23:59:59.999999+08:00 (Tuesday)\n");
  const google::protobuf::Struct json = ParseJson(
      OnLedger({"calendar", "due", "--from", "2024-04-30", "--working-days", "5", "--json"}));
  EXPECT_EQ(Text(json, "due"), "2024-05-10T23:59:59.999999+08:00");
  EXPECT_EQ(Number(json, "working_days"), 5);

  // Only 2024 is loaded: a count into 2025 is refused, naming the year.
  ToolRun beyond =
      Loyalty({"--db", db_, "calendar", "due", "--from", "2024-12-30", "--working-days", "3"});
  EXPECT_EQ(beyond.exit_code, 3);
  EXPECT_THAT(beyond.err, HasSubstr("no holiday schedule is loaded for 2025"));
  ToolRun missing = Loyalty({"--db", db_, "calendar", "due", "--from", "2024-02-09"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("--working-days"));
  ToolRun zero =
      Loyalty({"--db", db_, "calendar", "due", "--from", "2024-02-09", "--working-days", "0"});
  EXPECT_EQ(zero.exit_code, 1);
  ToolRun other = Loyalty({"--db", db_, "calendar", "show"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_THAT(other.err, HasSubstr("unknown subcommand \"show\""));
}

TEST_F(ComplaintCliTest, CalendarLoadIsIdempotentAndNamesTheBadLine) {
  // 2024 is loaded already: nothing is appended.
  const std::string again = OnLedger({"calendar", "load", CalendarFile(2024)});
  EXPECT_THAT(again, StartsWith("calendar cn-official-2024 (covering 2024) is already loaded: "));
  EXPECT_THAT(again, HasSubstr("nothing appended"));
  const google::protobuf::Struct again_json =
      ParseJson(OnLedger({"calendar", "load", CalendarFile(2024), "--json"}));
  EXPECT_FALSE(again_json.fields().at("loaded").bool_value());

  const std::string loaded = OnLedger({"calendar", "load", CalendarFile(2025)});
  EXPECT_THAT(loaded, StartsWith("loaded calendar cn-official-2025 (covering 2025): "));
  EXPECT_THAT(loaded, HasSubstr(absl::StrCat(" at sequence ", complaints_.head + 1, "\n")));
  EXPECT_THAT(OnLedger({"calendar", "load", CalendarFile(2025)}), HasSubstr("already loaded"));
  EXPECT_THAT(OnLedger({"calendar", "due", "--from", "2024-12-30", "--working-days", "3"}),
              HasSubstr("due           2025-01-03T23:59:59.999999+08:00 (Friday)\n"));

  const std::string bad = dir_.Sub("bad.txt");
  std::ofstream(bad) << "source mall\ncovers none\n2024-10-03 workday Open\n2024-02-30 holiday\n";
  ToolRun run = Loyalty({"--db", db_, "calendar", "load", bad});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(bad, ": calendar file line 4: ")));
  EXPECT_THAT(run.err, HasSubstr("2024-02-30"));
  ToolRun absent = Loyalty({"--db", db_, "calendar", "load", dir_.Sub("absent.txt")});
  EXPECT_EQ(absent.exit_code, 1);
  EXPECT_THAT(absent.err, HasSubstr("cannot read"));
  const google::protobuf::Struct head = ParseJson(OnLedger({"head", "--json"}));
  EXPECT_EQ(Number(head, "sequence"), static_cast<double>(complaints_.head + 1));

  // A mall's own days: covers no year.
  const std::string mall = dir_.Sub("mall.txt");
  std::ofstream(mall) << "source mall\ncovers none\n2024-10-03 workday Open for the sale\n";
  EXPECT_THAT(OnLedger({"calendar", "load", mall}),
              StartsWith("loaded calendar mall (covering no whole year): 1 day (0 holidays, 1 "
                         "working day) at sequence "));
}

// After an import of history, --as-of (business time) before the import day
// finds what had occurred; --known-at (recorded time) finds nothing and says
// so, pointing to --as-of.
class ImportedHistoryCliTest : public EngineCliTest {
 protected:
  void SetUp() override {
    LedgerBuilder builder(db_);
    ASSERT_GT(builder.BuildImportedHistory(), 0u);
  }
};

TEST_F(ImportedHistoryCliTest, AsOfIsBusinessTime) {
  EXPECT_EQ(OnLedger({"tiers", "--as-of", "2025-06-30"}),
            "TIER      MEMBERS\n"
            "regular         0\n"
            "silver          1\n"
            "gold            0\n"
            "platinum        0\n"
            "as of sequence 3, 2025-06-30T23:59:59.999999+08:00 (business time)\n");
  const std::string member = OnLedger({"member", "show", "X", "--as-of", "2025-06-30"});
  EXPECT_THAT(member, HasSubstr("\ntier                  silver (protected until "));
  EXPECT_THAT(member, HasSubstr("\navailable             6000 points\n"));
  const google::protobuf::Struct json =
      ParseJson(OnLedger({"liability", "--as-of", "2025-06-30", "--json"}));
  EXPECT_EQ(Number(json, "outstanding_points"), 6000);
  EXPECT_EQ(Text(json, "as_of_axis"), "business_time");
}

TEST_F(ImportedHistoryCliTest, KnownAtBeforeTheImportSaysNothingWasRecorded) {
  ToolRun tiers = Loyalty({"--db", db_, "tiers", "--known-at", "2025-06-30"});
  EXPECT_EQ(tiers.exit_code, 0);
  EXPECT_THAT(tiers.out, HasSubstr("silver          0\n"));
  EXPECT_THAT(tiers.out, HasSubstr("(recorded time)\n"));
  EXPECT_EQ(tiers.err,
            "loyalty: tiers: nothing by 2025-06-30T23:59:59.999999+08:00 (recorded time: what the "
            "ledger knew then); --as-of 2025-06-30 reads business time (the events that occurred "
            "by then)\n");

  ToolRun member = Loyalty({"--db", db_, "member", "show", "X", "--known-at", "2025-06-30"});
  EXPECT_EQ(member.exit_code, 3);
  EXPECT_EQ(member.err,
            "loyalty: member_id: \"X\" is not enrolled at --known-at 2025-06-30 (recorded time: "
            "what the ledger knew then); --as-of 2025-06-30 reads business time (the events that "
            "occurred by then)\n");
}

TEST_F(ImportedHistoryCliTest, AsOfBeforeAnythingOccurredSaysSo) {
  ToolRun liability = Loyalty({"--db", db_, "liability", "--as-of", "2024-12-31"});
  EXPECT_EQ(liability.exit_code, 0);
  EXPECT_THAT(liability.out, HasSubstr("members      0\n"));
  EXPECT_EQ(liability.err,
            "loyalty: liability: nothing by 2024-12-31T23:59:59.999999+08:00 (business time: the "
            "events that occurred by then); --known-at 2024-12-31 reads recorded time (what the "
            "ledger knew then)\n");
  ToolRun member = Loyalty({"--db", db_, "member", "show", "X", "--as-of", "2024-12-31"});
  EXPECT_EQ(member.exit_code, 3);
  EXPECT_THAT(member.err, HasSubstr("is not enrolled at --as-of 2024-12-31 (business time"));
}

}  // namespace
}  // namespace loyalty

namespace loyalty::testing {
namespace {

// The demo generates, reports, and on a second run reuses what it made.
TEST(DemoCliTest, GeneratesReportsAndReuses) {
  TempDir dir;
  auto run = [&](std::vector<std::string> args, const std::string& name) {
    args.insert(args.begin(), {"--db", dir.Sub("db")});
    return RunTool(LOYALTY_BINARY, args, "/dev/null", dir.path(), dir.Sub(name));
  };
  ToolRun first = run({"demo", "--members", "40", "--days", "45", "--no-sync"}, "first");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("Members per tier"));
  EXPECT_THAT(first.out, HasSubstr("40 enrolments"));
  EXPECT_THAT(first.out, HasSubstr("Chain head"));
  EXPECT_THAT(first.out, HasSubstr("balances  "));
  // The official calendars come first; complaints and surveys follow the
  // purchases, and the report shows their SLA.
  EXPECT_THAT(first.out, HasSubstr("2 official holiday schedules, "));
  EXPECT_THAT(first.out, HasSubstr("Complaint SLA compliance by month of the deadline\n"));
  EXPECT_THAT(first.out, HasSubstr("Partners with the lowest SLA compliance on their complaints\n"));
  EXPECT_THAT(first.out, HasSubstr("complaints  "));
  EXPECT_THAT(first.out, HasSubstr("calendar  "));

  ToolRun again = run({"demo"}, "again");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("Reusing the ledger"));

  // Same flags, fresh directory: the same chain head, byte for byte.
  ToolRun replaced =
      run({"demo", "--members", "40", "--days", "45", "--no-sync", "--replace"}, "replaced");
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  auto head_line = [](const std::string& out) { return out.substr(out.find("hash     "), 73); };
  EXPECT_EQ(head_line(first.out), head_line(replaced.out));

  ToolRun verify = run({"verify"}, "verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.err;

  // Personal data (docs/privacy.md): the master key sits beside the data,
  // never inside it; no name or e-mail of the generated members is in any
  // file of the ledger, in the report or in an export.
  std::error_code error;
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("db.key")));
  EXPECT_EQ(std::filesystem::status(dir.Sub("db.key")).permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ToolRun exported = run({"export"}, "export");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_THAT(exported.out, HasSubstr("\"sealed\""));
  for (const std::string& personal : {std::string("Member 000001"), std::string("@example.com")}) {
    EXPECT_EQ(first.out.find(personal), std::string::npos) << personal;
    EXPECT_EQ(exported.out.find(personal), std::string::npos) << personal;
    EXPECT_THAT(FilesHolding(dir.Sub("db"), personal), IsEmpty()) << personal;
  }
}

}  // namespace
}  // namespace loyalty::testing
