// The `loyalty` tool's engine commands (member, tiers, liability, partners,
// digests, rebuild, birthdays), run as a subprocess on a ledger that the
// test builds through the public Engine API and closes first.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "loyalty/clock.h"
#include "loyalty/commands.h"
#include "loyalty/engine.h"
#include "testing/temp_dir.h"
#include "tests/tool_runner.h"

namespace loyalty {
namespace {

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
    RecordRefund refund;
    refund.refund_id = "F1";
    refund.purchase_id = "P2";
    refund.amount_fen = 100000;
    refund.occurred_at_us = clock_.NowMicros();
    refund.actor_id = "pos";
    Check(engine_->Execute(refund));
    Redeem redeem;
    redeem.redemption_id = "R1";
    redeem.member_id = "M1";
    redeem.points = 100;
    redeem.reward = "voucher";
    redeem.occurred_at_us = clock_.NowMicros();
    redeem.actor_id = "app";
    built.head = Check(engine_->Execute(redeem));
    return built;
  }

  Engine& engine() { return *engine_; }

 private:
  void At(int day) { clock_.Set(kJan2024Us + day * kDayUs); }

  // The last sequence the command appended.
  uint64_t Check(const absl::StatusOr<CommandResult>& result) {
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok() || result->sequences.empty()) return 0;
    return result->sequences.back();
  }

  void Enrol(const std::string& member_id, int month, int day) {
    EnrolMember command;
    command.member_id = member_id;
    auto* birth_date = command.personal.mutable_plain()->mutable_birth_date();
    birth_date->set_year(1990);
    birth_date->set_month(month);
    birth_date->set_day(day);
    command.personal.mutable_plain()->set_name("Test Member");
    command.occurred_at_us = clock_.NowMicros();
    command.actor_id = "counter";
    Check(engine_->Execute(command));
  }

  uint64_t Purchase(const std::string& member_id, const std::string& purchase_id,
                    const std::string& partner_id, int64_t amount_fen) {
    RecordPurchase command;
    command.purchase_id = purchase_id;
    command.member_id = member_id;
    command.partner_id = partner_id;
    command.amount_fen = amount_fen;
    command.category = "apparel";
    command.occurred_at_us = clock_.NowMicros();
    command.actor_id = "pos";
    return Check(engine_->Execute(command));
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

TEST_F(EngineCliTest, MemberShowText) {
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
                                          ", 2024-01-04T08:00:00.000000+08:00\n")));
}

TEST_F(EngineCliTest, MemberShowJson) {
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

TEST_F(EngineCliTest, Tiers) {
  EXPECT_EQ(OnLedger({"tiers", "--at-seq", AtHead()}),
            absl::StrCat("TIER      MEMBERS\n"
                         "regular         1\n"
                         "silver          1\n"
                         "gold            0\n"
                         "platinum        0\n"
                         "as of sequence ",
                         built_.head, ", 2024-01-04T08:00:00.000000+08:00\n"));
  const google::protobuf::Struct early = ParseJson(
      OnLedger({"tiers", "--at-seq", absl::StrCat(built_.after_first_purchase), "--json"}));
  EXPECT_EQ(Number(early, "regular"), 2);
  EXPECT_EQ(Number(early, "silver"), 0);
}

TEST_F(EngineCliTest, Liability) {
  EXPECT_EQ(OnLedger({"liability", "--at-seq", AtHead()}),
            absl::StrCat("outstanding  5073 points\n"
                         "debt         0 points\n"
                         "members      2\n"
                         "as of sequence ",
                         built_.head, ", 2024-01-04T08:00:00.000000+08:00\n"));
  const google::protobuf::Struct json =
      ParseJson(OnLedger({"liability", "--as-of", "2024-01-02", "--json"}));
  EXPECT_EQ(Number(json, "outstanding_points"), 123);
  EXPECT_EQ(Number(json, "members"), 2);
  EXPECT_EQ(Text(json, "as_of"), "2024-01-02T23:59:59.999999+08:00");
}

TEST_F(EngineCliTest, Partners) {
  // store-7: 123.45 + 6000.00 gross, 1000.00 refunded: 100000 * 10000 /
  // 612345 = 1633 basis points.
  const std::vector<std::string> lines = Lines(OnLedger({"partners", "--at-seq", AtHead()}));
  EXPECT_THAT(lines, ElementsAre("PARTNER  GROSS CNY  REFUNDED CNY  NET CNY  PURCHASES  REFUNDS  "
                                 "REFUND RATE  POINTS ISSUED",
                                 "store-7    6123.45       1000.00  5123.45          2        1  "
                                 "     16.33%           6123",
                                 "store-9      50.00          0.00    50.00          1        0  "
                                 "      0.00%             50",
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
  EXPECT_EQ(OnLedger({"digests", "--at-seq", AtHead()}), digests);
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
  ToolRun run = Loyalty({"--db", db_, "rebuild"});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err, StartsWith("loyalty: projection "));
  EXPECT_THAT(run.err, HasSubstr("do not match a replay of the log"));
}

TEST_F(EngineCliTest, BirthdaysAreGrantedOnce) {
  // M1 was born on 5 January, M2 on 31 December.
  const std::string first = OnLedger({"birthdays", "--date", "2024-01-10"});
  EXPECT_EQ(first, absl::StrCat("granted 1 birthday bonus on 2024-01-10: sequences ",
                                built_.head + 1, "\n"));
  EXPECT_EQ(OnLedger({"birthdays", "--date", "2024-01-11"}),
            "granted 0 birthday bonuses on 2024-01-11\n");
  const google::protobuf::Struct again =
      ParseJson(OnLedger({"birthdays", "--date", "2024-01-10", "--json"}));
  EXPECT_EQ(Number(again, "granted"), 0);
  EXPECT_EQ(Text(again, "occurred_at"), "2024-01-10T09:00:00.000000+08:00");

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

TEST_F(EngineCliTest, BirthdaysFlagErrors) {
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
  for (const char* command : {"member", "tiers", "liability", "partners", "digests"}) {
    std::vector<std::string> args = {"--db", db_, command};
    if (std::string(command) == "member") args.insert(args.end(), {"show", "M1"});
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
                                             {"birthdays", "--date", "2024-01-10"}}) {
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
       {"member show ID", "tiers", "liability", "partners", "digests", "rebuild", "birthdays"}) {
    EXPECT_THAT(run.out, HasSubstr(absl::StrCat("\n  ", command, " "))) << command;
  }
  ToolRun member = Loyalty({"help", "member"});
  EXPECT_EQ(member.exit_code, 0);
  EXPECT_THAT(member.out, StartsWith("usage: loyalty member show ID [flags]\n"));
  EXPECT_THAT(member.out, HasSubstr("--as-of TIME"));
  EXPECT_THAT(member.out, HasSubstr("--at-seq N"));
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
}

}  // namespace
}  // namespace loyalty::testing
