// The tool and personal data (docs/privacy.md): member show reveals only with
// --personal and the master key, member erase, retention run, and no
// personal value in reports, exports or audit bundles. Runs the built
// `loyalty` as a subprocess on a ledger the test builds through the Engine.
#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/clock.h"
#include "loyalty/engine.h"
#include "loyalty/privacy.h"
#include "testing/commands.h"
#include "testing/temp_dir.h"
#include "tests/tool_runner.h"

namespace loyalty {
namespace {

using ::loyalty::testing::RunTool;
using ::loyalty::testing::TempDir;
using ::loyalty::testing::ToolRun;
using ::testing::HasSubstr;

constexpr int64_t kJan2024Us = 1704067200LL * 1000000;
constexpr int64_t kDayUs = 86400LL * 1000000;
constexpr char kName[] = "Shangguan Wanru-4419";
constexpr char kPhone[] = "13700934419";
constexpr char kEmail[] = "wanru4419@example.net";

// Every file under `directory`, recursively, concatenated.
std::string AllBytes(const std::string& directory) {
  std::string all;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream file(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << file.rdbuf();
    all += bytes.str();
  }
  return all;
}

class PrivacyCliTest : public ::testing::Test {
 protected:
  // M1 (the distinctive one) and M2 enrol on 2024-01-01; M1 buys on
  // 2024-01-02. The key file sits beside the directory, as the demo leaves it.
  void SetUp() override {
    ASSERT_TRUE(CreateMasterKeyFile(db_ + ".key").ok());
    ManualClock clock(kJan2024Us);
    EngineOptions options;
    options.ledger.clock = &clock;
    options.master_key = MasterKeyFromFile(db_ + ".key");
    auto engine = Engine::Open(db_, options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    for (const char* member_id : {"M1", "M2"}) {
      EnrolMember enrol = testing::EnrolBornOnCommand(member_id, 1991, 3, 8, kJan2024Us);
      v1::PersonalData& personal = *enrol.personal.mutable_plain();
      personal.set_name(member_id == std::string("M1") ? kName : "Second Member");
      personal.set_phone(member_id == std::string("M1") ? kPhone : "13900000002");
      personal.set_email(member_id == std::string("M1") ? kEmail : "m2@example.net");
      ASSERT_TRUE((*engine)->Execute(enrol).ok());
    }
    RecordPurchase purchase = testing::PurchaseCommand("P1", "M1", 12345, kJan2024Us + kDayUs);
    purchase.category = "fashion";
    ASSERT_TRUE((*engine)->Execute(purchase).ok());
  }

  ToolRun Loyalty(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", db_});
    return RunTool(LOYALTY_BINARY, args, "/dev/null", dir_.path(),
                   dir_.Sub(absl::StrCat("run", ++runs_)));
  }

  void ExpectNoPersonalValue(const std::string& text, const std::string& what) {
    for (const char* value : {kName, kPhone, kEmail}) {
      EXPECT_EQ(text.find(value), std::string::npos) << what << " holds " << value;
    }
  }

  TempDir dir_;
  std::string db_ = dir_.Sub("db");
  int runs_ = 0;
};

TEST_F(PrivacyCliTest, OutputsCarryNoPersonalValueByDefault) {
  ToolRun show = Loyalty({"member", "show", "M1"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  ExpectNoPersonalValue(show.out, "member show");
  ToolRun json = Loyalty({"member", "show", "M1", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  ExpectNoPersonalValue(json.out, "member show --json");
  for (const char* format : {"jsonl", "binary"}) {
    ToolRun exported = Loyalty({"export", "--format", format});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    ExpectNoPersonalValue(exported.out, absl::StrCat("export --format ", format));
  }
  for (const char* report : {"tiers", "liability", "partners", "digests"}) {
    ToolRun run = Loyalty({report});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    ExpectNoPersonalValue(run.out, report);
  }
  ToolRun bundle = Loyalty({"audit-bundle", "--out", dir_.Sub("bundle")});
  ASSERT_EQ(bundle.exit_code, 0) << bundle.err;
  ExpectNoPersonalValue(AllBytes(dir_.Sub("bundle")), "audit bundle");
  ExpectNoPersonalValue(AllBytes(db_), "the ledger directory");
}

TEST_F(PrivacyCliTest, MemberShowRevealsOnlyWithTheMasterKey) {
  ToolRun without = Loyalty({"member", "show", "M1", "--personal"});
  EXPECT_EQ(without.exit_code, 1);
  EXPECT_THAT(without.err, HasSubstr("--personal needs --master-key FILE"));
  ToolRun revealed =
      Loyalty({"member", "show", "M1", "--personal", "--master-key", db_ + ".key"});
  ASSERT_EQ(revealed.exit_code, 0) << revealed.err;
  EXPECT_THAT(revealed.out, HasSubstr(kName));
  EXPECT_THAT(revealed.out, HasSubstr(kPhone));
  EXPECT_THAT(revealed.out, HasSubstr("birth date  1991-03-08"));

  ASSERT_TRUE(CreateMasterKeyFile(dir_.Sub("wrong.key")).ok());
  ToolRun wrong =
      Loyalty({"member", "show", "M1", "--personal", "--master-key", dir_.Sub("wrong.key")});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_THAT(wrong.err, HasSubstr("master key"));
  ExpectNoPersonalValue(wrong.out + wrong.err, "a wrong key's output");
  // Nothing was written: the right key still opens and shows the same data.
  ToolRun still = Loyalty({"member", "show", "M1", "--personal", "--master-key", db_ + ".key"});
  ASSERT_EQ(still.exit_code, 0) << still.err;
  EXPECT_THAT(still.out, HasSubstr(kName));
  ToolRun missing =
      Loyalty({"member", "show", "M1", "--personal", "--master-key", dir_.Sub("absent.key")});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("absent.key"));
}

TEST_F(PrivacyCliTest, ExportRevealsOnlyWithTheFlagAndTheMasterKey) {
  ToolRun flag_alone = Loyalty({"export", "--reveal-personal"});
  EXPECT_EQ(flag_alone.exit_code, 1);
  EXPECT_THAT(flag_alone.err, HasSubstr("--reveal-personal and --master-key FILE go together"));
  ToolRun key_alone = Loyalty({"export", "--master-key", db_ + ".key"});
  EXPECT_EQ(key_alone.exit_code, 1);
  ToolRun binary = Loyalty(
      {"export", "--format", "binary", "--reveal-personal", "--master-key", db_ + ".key"});
  EXPECT_EQ(binary.exit_code, 1);
  EXPECT_THAT(binary.err, HasSubstr("use --format jsonl"));
  ExpectNoPersonalValue(flag_alone.out + key_alone.out + binary.out, "a refused export");

  ToolRun revealed = Loyalty({"export", "--reveal-personal", "--master-key", db_ + ".key"});
  ASSERT_EQ(revealed.exit_code, 0) << revealed.err;
  EXPECT_THAT(revealed.out, HasSubstr(kName));
  EXPECT_THAT(revealed.out, HasSubstr(kPhone));
  EXPECT_THAT(revealed.out, HasSubstr("Second Member"));
  EXPECT_EQ(revealed.out.find("\"sealed\""), std::string::npos) << revealed.out;

  ASSERT_TRUE(CreateMasterKeyFile(dir_.Sub("wrong.key")).ok());
  ToolRun wrong = Loyalty({"export", "--reveal-personal", "--master-key", dir_.Sub("wrong.key")});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_THAT(wrong.err, HasSubstr("master key"));
  ExpectNoPersonalValue(wrong.out + wrong.err, "an export with a wrong key");

  // An erased member's data stays sealed, as stored; the others' is shown.
  ASSERT_EQ(Loyalty({"member", "erase", "M1", "--reason", "member request"}).exit_code, 0);
  ToolRun after = Loyalty({"export", "--reveal-personal", "--master-key", db_ + ".key"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  ExpectNoPersonalValue(after.out, "an export after erasure");
  EXPECT_THAT(after.out, HasSubstr("\"sealed\""));
  EXPECT_THAT(after.out, HasSubstr("Second Member"));
}

TEST_F(PrivacyCliTest, EraseThenVerifyAndTheValuesAreGoneFromDisk) {
  ToolRun erase = Loyalty({"member", "erase", "M1"});
  EXPECT_EQ(erase.exit_code, 1);
  EXPECT_THAT(erase.err, HasSubstr("--reason is required"));
  erase = Loyalty({"member", "erase", "M1", "--reason", "member request"});
  ASSERT_EQ(erase.exit_code, 0) << erase.err;
  EXPECT_THAT(erase.out, HasSubstr("erased the personal data of member \"M1\": sequence 5"));
  ToolRun again = Loyalty({"member", "erase", "M1", "--reason", "member request"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_THAT(again.err, HasSubstr("is erased"));

  ToolRun show = Loyalty({"member", "show", "M1", "--personal", "--master-key", db_ + ".key"});
  EXPECT_NE(show.exit_code, 0);
  EXPECT_THAT(show.err, HasSubstr("personal data of member \"M1\" was erased on"));
  ToolRun figures = Loyalty({"member", "show", "M1", "--json"});
  ASSERT_EQ(figures.exit_code, 0) << figures.err;
  EXPECT_THAT(figures.out, HasSubstr("\"erased\":true"));
  EXPECT_THAT(figures.out, HasSubstr("\"earned_points_total\":123"));
  ToolRun verify = Loyalty({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  ExpectNoPersonalValue(AllBytes(db_), "the ledger directory after erasure");
  // M2 is untouched.
  ToolRun other = Loyalty({"member", "show", "M2", "--personal", "--master-key", db_ + ".key"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_THAT(other.out, HasSubstr("Second Member"));
}

TEST_F(PrivacyCliTest, RetentionRunErasesTheInactiveOnce) {
  {
    // A retention policy of 30 days, so that the runs below are dated in the
    // past (a run dated ahead of the clock is refused).
    ManualClock clock(kJan2024Us + 2 * kDayUs);
    EngineOptions options;
    options.ledger.clock = &clock;
    auto engine = Engine::Open(db_, options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    SetPolicy policy;
    policy.policy_change_id = "retention-30";
    policy.change.mutable_retention()->set_inactive_days(30);
    policy.occurred_at_us = kJan2024Us + 2 * kDayUs;
    policy.actor_id = "policy-admin";
    ASSERT_TRUE((*engine)->Execute(policy).ok());
  }
  ToolRun early = Loyalty({"retention", "run", "--as-of", "2024-01-20"});
  ASSERT_EQ(early.exit_code, 0) << early.err;
  EXPECT_THAT(early.out, HasSubstr("erased the personal data of 0 members"));
  ToolRun run = Loyalty({"retention", "run", "--as-of", "2024-02-01"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // M2's last activity is its enrolment (2024-01-01), M1's its purchase
  // (2024-01-02): 30 days later is 2024-01-31 and 2024-02-01, and a member
  // is past the policy on the days after.
  EXPECT_THAT(run.out, HasSubstr("erased the personal data of 1 member "));
  EXPECT_THAT(run.out, HasSubstr("  M2  inactive since 2024-01-01"));
  ToolRun json = Loyalty({"retention", "run", "--as-of", "2024-02-01", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out, "{\"as_of\":\"2024-02-01\",\"erased\":[]}\n");
  // A run dated far ahead of the clock would erase everyone: it is refused.
  ToolRun ahead = Loyalty({"retention", "run", "--as-of", "2099-01-01"});
  EXPECT_EQ(ahead.exit_code, 1) << ahead.err;
  EXPECT_THAT(ahead.err, HasSubstr("is later than the ledger clock's now"));
  ToolRun later = Loyalty({"retention", "run", "--as-of", "2024-02-02", "--json"});
  ASSERT_EQ(later.exit_code, 0) << later.err;
  EXPECT_THAT(later.out, HasSubstr("\"member_id\":\"M1\""));
  ToolRun bad = Loyalty({"retention", "run", "--as-of", "2027-02-30"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(Loyalty({"retention", "run"}).err, HasSubstr("--as-of is required"));
  EXPECT_EQ(Loyalty({"verify"}).exit_code, 0);
}

// An enrolment of `member_id` as a JSON line, with its personal data in the
// clear, as a service would hand it to `loyalty append`.
std::string PlainEnrolmentLine(const std::string& member_id, const std::string& name) {
  return absl::StrCat("{\"stream_id\":\"member-", member_id, "\",\"idempotency_key\":\"enrol/",
                      member_id,
                      "\",\"occurred_at_us\":1704067200000000,\"actor_id\":\"counter\","
                      "\"event\":{\"member_enrolled\":{\"member_id\":\"",
                      member_id, "\",\"personal\":{\"plain\":{\"name\":\"", name,
                      "\",\"phone\":\"13622220000\"}}}}}\n");
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
}

mode_t ModeOf(const std::string& path) {
  struct stat status;
  EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
  return status.st_mode & 07777;
}

TEST_F(PrivacyCliTest, AppendSealsPlainPersonalDataOrRefusesIt) {
  const std::string input = dir_.Sub("plain.jsonl");
  WriteText(input, PlainEnrolmentLine("M3", "Murong Fu-6620"));
  ToolRun appended = Loyalty({"append", input});
  ASSERT_EQ(appended.exit_code, 0) << appended.err;
  EXPECT_EQ(appended.out, "5\n");  // after the 4 events of SetUp
  EXPECT_THAT(::loyalty::testing::FilesHolding(db_, "Murong Fu-6620"), ::testing::IsEmpty());
  ToolRun exported = Loyalty({"export"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(exported.out.find("Murong Fu-6620"), std::string::npos);
  ToolRun shown = Loyalty({"member", "show", "M3", "--personal", "--master-key", db_ + ".key"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("Murong Fu-6620"));
  // The same input again is a duplicate, as any retried append.
  ToolRun again = Loyalty({"append", input});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "5 (duplicate)\n");

  // Without a key the data is refused, and the hint's flag works.
  const std::string moved = dir_.Sub("elsewhere.key");
  ASSERT_EQ(std::rename((db_ + ".key").c_str(), moved.c_str()), 0);
  WriteText(input, PlainEnrolmentLine("M4", "Murong Bo-6621"));
  ToolRun refused = Loyalty({"append", input});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("line 1: personal: member \"M4\" comes with personal data in "
                                     "the clear, which is stored only sealed: no master key"));
  EXPECT_THAT(refused.err, HasSubstr("--master-key FILE"));
  ToolRun with_key = Loyalty({"append", input, "--master-key", moved});
  ASSERT_EQ(with_key.exit_code, 0) << with_key.err;
  EXPECT_EQ(with_key.out, "6\n");
  EXPECT_THAT(::loyalty::testing::FilesHolding(db_, "Murong Bo-6621"), ::testing::IsEmpty());
}

TEST_F(PrivacyCliTest, ARevealedExportIsTheOwnersAloneAndReplacesNothing) {
  const mode_t umask_before = ::umask(0);
  const std::string out = dir_.Sub("revealed.jsonl");
  ToolRun revealed =
      Loyalty({"export", "--reveal-personal", "--master-key", db_ + ".key", "--out", out});
  ::umask(umask_before);
  ASSERT_EQ(revealed.exit_code, 0) << revealed.err;
  EXPECT_EQ(ModeOf(out), 0600u);
  const std::string first = ::loyalty::testing::ReadFile(out);
  EXPECT_THAT(first, HasSubstr(kName));

  ToolRun again =
      Loyalty({"export", "--reveal-personal", "--master-key", db_ + ".key", "--out", out});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr(absl::StrCat(out, " exists")));
  EXPECT_THAT(again.err, HasSubstr("--overwrite"));
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));

  const std::string other = dir_.Sub("notes.txt");
  WriteText(other, "mine\n");
  ASSERT_EQ(::chmod(other.c_str(), 0644), 0);
  ToolRun over_other =
      Loyalty({"export", "--reveal-personal", "--master-key", db_ + ".key", "--out", other});
  EXPECT_EQ(over_other.exit_code, 1);
  EXPECT_EQ(::loyalty::testing::ReadFile(other), "mine\n");
  ToolRun replaced = Loyalty({"export", "--reveal-personal", "--master-key", db_ + ".key",
                              "--out", other, "--overwrite"});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  EXPECT_EQ(::loyalty::testing::ReadFile(other), first);
  EXPECT_EQ(ModeOf(other), 0600u);

  // A stale partial file (an interrupted export) is not written through.
  WriteText(out + ".partial", "stale");
  ASSERT_EQ(std::remove(out.c_str()), 0);
  ToolRun stale =
      Loyalty({"export", "--reveal-personal", "--master-key", db_ + ".key", "--out", out});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_THAT(stale.err, HasSubstr(absl::StrCat(out, ".partial exists")));
  EXPECT_FALSE(std::filesystem::exists(out));

  // An export without personal data replaces its file as before.
  const std::string plain_out = dir_.Sub("sealed.jsonl");
  ASSERT_EQ(Loyalty({"export", "--out", plain_out}).exit_code, 0);
  ASSERT_EQ(Loyalty({"export", "--out", plain_out}).exit_code, 0);
}

TEST_F(PrivacyCliTest, AKeyFileOthersMayReadIsRefusedUnlessAllowed) {
  const std::string key = db_ + ".key";
  ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
  const std::string expected =
      absl::StrCat("master key file ", key, ": mode 0644 lets its group or others access it; run "
                   "`chmod 600 ", key, "` (or pass --allow-open-master-key to use it)");
  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{{"tiers"},
                                             {"member", "show", "M1"},
                                             {"birthdays", "--date", "2024-03-31"},
                                             {"member", "show", "M1", "--personal",
                                              "--master-key", key}}) {
    ToolRun refused = Loyalty(command);
    EXPECT_EQ(refused.exit_code, 3) << command[0];
    EXPECT_THAT(refused.err, HasSubstr(expected)) << command[0];
  }
  ToolRun allowed = Loyalty({"--allow-open-master-key", "member", "show", "M1", "--personal",
                             "--master-key", key});
  ASSERT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_THAT(allowed.out, HasSubstr(kName));
  EXPECT_THAT(allowed.err, HasSubstr("loyalty: warning: master key file"));
  ToolRun after_command = Loyalty({"tiers", "--allow-open-master-key"});
  EXPECT_EQ(after_command.exit_code, 0) << after_command.err;
  ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
  ToolRun fixed = Loyalty({"tiers"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_EQ(fixed.err, "");
}

// The flags a message names: "--master-key" in "... the tool's --master-key
// FILE".
std::set<std::string> FlagsNamedIn(const std::string& message) {
  std::set<std::string> flags;
  for (size_t at = message.find("--"); at != std::string::npos; at = message.find("--", at + 2)) {
    size_t end = at + 2;
    while (end < message.size() && (std::islower(static_cast<unsigned char>(message[end])) ||
                                    message[end] == '-')) {
      ++end;
    }
    if (end > at + 2) flags.insert(message.substr(at, end - at));
  }
  return flags;
}

// Every hint names a flag that the command it is printed by accepts.
TEST_F(PrivacyCliTest, EveryHintNamesAFlagItsCommandAccepts) {
  const std::string key = db_ + ".key";
  const std::string existing = dir_.Sub("existing.jsonl");
  WriteText(existing, "x\n");
  const std::string input = dir_.Sub("plain.jsonl");
  WriteText(input, PlainEnrolmentLine("M5", "Hint Case"));
  struct Hinted {
    // The words that name the command (its --help lists its flags), then
    // the rest of its arguments.
    std::vector<std::string> command;
    std::vector<std::string> rest;
    std::string hint;
  };
  std::vector<Hinted> cases = {
      {{"member", "show"}, {"M1", "--personal"}, "--master-key"},
      {{"export"}, {"--reveal-personal"}, "--master-key"},
      {{"export"}, {"--reveal-personal", "--master-key", key, "--out", existing}, "--overwrite"},
      {{"member", "erase"}, {"M1"}, "--reason"},
      {{"tiers"}, {}, "--allow-open-master-key"},
      {{"birthdays"}, {"--date", "2024-03-31"}, "--master-key"},
      {{"append"}, {input}, "--master-key"},
  };
  const std::string moved = dir_.Sub("elsewhere.key");
  for (const Hinted& hinted : cases) {
    // The key file others may read for `tiers`, and no key beside the
    // directory for the commands after it.
    if (hinted.command[0] == "tiers") {
      ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
    }
    if (hinted.command[0] == "birthdays") {
      ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
      ASSERT_EQ(std::rename(key.c_str(), moved.c_str()), 0);
    }
    std::vector<std::string> args = hinted.command;
    args.insert(args.end(), hinted.rest.begin(), hinted.rest.end());
    const ToolRun run = Loyalty(args);
    EXPECT_NE(run.exit_code, 0) << args[0];
    const std::set<std::string> named = FlagsNamedIn(run.err);
    EXPECT_TRUE(named.contains(hinted.hint)) << run.err;
    std::vector<std::string> help = hinted.command;
    help.push_back("--help");
    const ToolRun usage = Loyalty(help);
    ASSERT_EQ(usage.exit_code, 0) << usage.err;
    for (const std::string& flag : named) {
      EXPECT_THAT(usage.out, HasSubstr(absl::StrCat("  ", flag, " "))) << run.err;
    }
  }
  // And the flags do what the hints say.
  ToolRun birthdays = Loyalty({"birthdays", "--date", "2024-03-31", "--master-key", moved});
  ASSERT_EQ(birthdays.exit_code, 0) << birthdays.err;
  EXPECT_THAT(birthdays.out, HasSubstr("granted 2 birthday bonuses"));
  ToolRun appended = Loyalty({"append", input, "--master-key", moved});
  EXPECT_EQ(appended.exit_code, 0) << appended.err;
}

}  // namespace
}  // namespace loyalty
