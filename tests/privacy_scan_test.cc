// The plaintext scan (docs/privacy.md, "What is never stored in the clear"):
// members whose personal data is recorded through every write path (the
// engine's EnrolMember, Engine::Append with data in the clear, `loyalty
// append` with data in the clear, profile updates) have no name, phone or
// e-mail anywhere in the ledger's directory, in exports or in an audit
// bundle, before and after their erasure.
//
// "Anywhere" is read two ways, so that compression cannot hide a leak: the
// bytes of every file under the directory (write-ahead logs, table files,
// MANIFEST, ...), and every key and value of every RocksDB database in it
// (the ledger, member-keys, projections, audit) as RocksDB decodes them.
// A positive control proves each way finds free text that is stored: the
// category of a purchase.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/clock.h"
#include "loyalty/engine.h"
#include "loyalty/privacy.h"
#include "rocksdb/db.h"
#include "testing/commands.h"
#include "testing/events.h"
#include "testing/temp_dir.h"
#include "tests/tool_runner.h"

namespace loyalty {
namespace {

namespace fs = std::filesystem;
using ::loyalty::testing::RunTool;
using ::loyalty::testing::TempDir;
using ::loyalty::testing::ToolRun;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int64_t kJan2024Us = 1704067200LL * 1000000;
constexpr int64_t kDayUs = 86400LL * 1000000;
// Free text that is not personal and is stored as given: what the scan
// must find.
constexpr char kCanary[] = "canary-category-Qz7kVx";

// One member per write path, with values found nowhere else.
struct TestMember {
  const char* member_id;
  const char* name;
  const char* phone;
  const char* email;
};
constexpr TestMember kByCommand = {"M1", "Zhuge Lanfang-8801", "13700008801",
                                   "lanfang8801@example.org"};
constexpr TestMember kByEngineAppend = {"M2", "Sima Qingyun-8802", "13700008802",
                                        "qingyun8802@example.org"};
constexpr TestMember kByToolAppend = {"M3", "Dugu Meixue-8803", "13700008803",
                                      "meixue8803@example.org"};
// The profile updates of M2 (through Engine::Append) and M3 (through
// `loyalty append`).
constexpr TestMember kUpdatedByEngine = {"M2", "Sima Qingyun-8812", "13700008812",
                                         "qingyun8812@example.org"};
constexpr TestMember kUpdatedByTool = {"M3", "Dugu Meixue-8813", "13700008813",
                                       "meixue8813@example.org"};
constexpr TestMember kAll[] = {kByCommand, kByEngineAppend, kByToolAppend, kUpdatedByEngine,
                               kUpdatedByTool};

v1::PersonalData PersonalOf(const TestMember& member) {
  v1::PersonalData personal;
  personal.set_name(member.name);
  personal.set_phone(member.phone);
  personal.set_email(member.email);
  personal.mutable_birth_date()->set_year(1990);
  personal.mutable_birth_date()->set_month(5);
  personal.mutable_birth_date()->set_day(20);
  return personal;
}

// A JSON line of `loyalty append`, its personal data in the clear.
std::string JsonLine(const std::string& key, const std::string& type, const TestMember& member,
                     int64_t at_us) {
  return absl::StrCat("{\"stream_id\":\"member-", member.member_id, "\",\"idempotency_key\":\"",
                      key, "\",\"occurred_at_us\":", at_us,
                      ",\"actor_id\":\"counter\",\"event\":{\"", type, "\":{\"member_id\":\"",
                      member.member_id, "\",\"personal\":{\"plain\":{\"name\":\"", member.name,
                      "\",\"phone\":\"", member.phone, "\",\"email\":\"", member.email,
                      "\"}}}}}\n");
}

std::string ReadAll(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

// What the scan reads, by where it comes from ("db/000012.sst",
// "db/member-keys [member_keys]", "export --format binary").
using Scanned = std::map<std::string, std::string>;

// The bytes of every regular file under `directory`.
void AddFileBytes(const std::string& directory, const std::string& label, Scanned* scanned) {
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    if (!entry.is_regular_file()) continue;
    (*scanned)[absl::StrCat(label, "/", fs::relative(entry.path(), directory).string())] =
        ReadAll(entry.path());
  }
}

// Every key and value of every column family of every RocksDB database
// under `directory` (a directory with a CURRENT file), decoded by RocksDB.
void AddDecodedDatabases(const std::string& directory, const std::string& label,
                         Scanned* scanned) {
  std::vector<fs::path> databases;
  if (fs::exists(fs::path(directory) / "CURRENT")) databases.push_back(directory);
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    if (entry.is_directory() && fs::exists(entry.path() / "CURRENT")) {
      databases.push_back(entry.path());
    }
  }
  for (const fs::path& database : databases) {
    std::vector<std::string> names;
    rocksdb::Status status =
        rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), database.string(), &names);
    ASSERT_TRUE(status.ok()) << database << ": " << status.ToString();
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const std::string& name : names) {
      descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    status = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), database.string(), descriptors,
                                          &handles, &db);
    ASSERT_TRUE(status.ok()) << database << ": " << status.ToString();
    for (size_t i = 0; i < handles.size(); ++i) {
      std::string& text = (*scanned)[absl::StrCat(
          label, "/", fs::relative(database, directory).string(), " [", names[i], "]")];
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        text.append(it->key().data(), it->key().size()).append("\n");
        text.append(it->value().data(), it->value().size()).append("\n");
      }
      EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    }
    for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle);
    delete db;
  }
}

// "source: value" for every needle found in any scanned text.
std::vector<std::string> Found(const Scanned& scanned, const std::vector<std::string>& needles) {
  std::vector<std::string> found;
  for (const auto& [source, text] : scanned) {
    for (const std::string& needle : needles) {
      if (text.find(needle) != std::string::npos) found.push_back(source + ": " + needle);
    }
  }
  return found;
}

std::vector<std::string> PersonalValues() {
  std::vector<std::string> values;
  for (const TestMember& member : kAll) {
    values.insert(values.end(), {member.name, member.phone, member.email});
  }
  return values;
}

class PrivacyScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(CreateMasterKeyFile(key_).ok());
    ManualClock clock(kJan2024Us + 30 * kDayUs);
    EngineOptions options;
    options.ledger.clock = &clock;
    options.master_key = MasterKeyFromFile(key_);
    auto engine = Engine::Open(db_, options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    // The engine's command.
    EnrolMember enrol = testing::EnrolCommand(kByCommand.member_id, kJan2024Us);
    *enrol.personal.mutable_plain() = PersonalOf(kByCommand);
    ASSERT_TRUE((*engine)->Execute(enrol).ok());
    // Engine::Append: an enrolment and a profile update in the clear.
    AppendBatch batch;
    for (const auto& [type, member] :
         {std::pair{"enrol", kByEngineAppend}, std::pair{"profile", kUpdatedByEngine}}) {
      v1::Envelope envelope = ::loyalty::testing::EnvelopeOn(
          absl::StrCat("member-", member.member_id), absl::StrCat(type, "/", member.member_id),
          kJan2024Us + kDayUs, "app");
      v1::Personal* personal;
      if (std::string(type) == "enrol") {
        envelope.mutable_event()->mutable_member_enrolled()->set_member_id(member.member_id);
        personal = envelope.mutable_event()->mutable_member_enrolled()->mutable_personal();
      } else {
        envelope.mutable_event()->mutable_member_profile_updated()->set_member_id(
            member.member_id);
        personal = envelope.mutable_event()->mutable_member_profile_updated()->mutable_personal();
      }
      *personal->mutable_plain() = PersonalOf(member);
      batch.Add(std::move(envelope));
    }
    auto appended = (*engine)->Append(batch);
    ASSERT_TRUE(appended.ok()) << appended.status();
    // The positive control: free text stored as given.
    RecordPurchase purchase =
        testing::PurchaseCommand("P1", kByCommand.member_id, 12345, kJan2024Us + 2 * kDayUs);
    purchase.category = kCanary;
    ASSERT_TRUE((*engine)->Execute(purchase).ok());
    engine->reset();
    // `loyalty append`: an enrolment and a profile update in the clear, with
    // the master key beside the directory.
    const std::string input = dir_.Sub("members.jsonl");
    std::ofstream(input) << JsonLine("enrol/M3", "member_enrolled", kByToolAppend,
                                     kJan2024Us + 3 * kDayUs)
                         << JsonLine("profile/M3", "member_profile_updated", kUpdatedByTool,
                                     kJan2024Us + 4 * kDayUs);
    ToolRun run = Loyalty({"append", input});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    // An audit store beside the ledger, scanned with the rest.
    run = Loyalty({"checkpoint", "keygen", "--out", dir_.Sub("signer.pem")});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    run = Loyalty({"checkpoint", "sign", "--key", dir_.Sub("signer.pem")});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }

  ToolRun Loyalty(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", db_});
    return RunTool(LOYALTY_BINARY, args, "/dev/null", dir_.path(),
                   dir_.Sub(absl::StrCat(".run", ++runs_)));
  }

  // The ledger directory (files and databases), its exports and an audit
  // bundle. `round` keeps the bundles of successive scans apart.
  Scanned ScanEverything(const std::string& round) {
    Scanned scanned;
    AddFileBytes(db_, "db", &scanned);
    AddDecodedDatabases(db_, "db", &scanned);
    for (const char* format : {"jsonl", "binary"}) {
      ToolRun exported = Loyalty({"export", "--format", format});
      EXPECT_EQ(exported.exit_code, 0) << exported.err;
      scanned[absl::StrCat("export --format ", format)] = exported.out;
    }
    const std::string bundle = dir_.Sub(absl::StrCat("bundle-", round));
    ToolRun bundled = Loyalty({"audit-bundle", "--out", bundle});
    EXPECT_EQ(bundled.exit_code, 0) << bundled.err;
    AddFileBytes(bundle, "audit-bundle", &scanned);
    return scanned;
  }

  // A writing open moves what the write-ahead logs hold into table files
  // (compressed), where a scan of bytes alone could miss it.
  void FlushToTables() {
    ToolRun run = Loyalty({"init"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }

  TempDir dir_;
  std::string db_ = dir_.Sub("db");
  std::string key_ = dir_.Sub("db.key");
  int runs_ = 0;
};

TEST_F(PrivacyScanTest, NoPersonalValueIsStoredAndTheScanSeesWhatIs) {
  for (const bool flushed : {false, true}) {
    if (flushed) FlushToTables();
    const Scanned scanned = ScanEverything(flushed ? "flushed" : "logged");
    EXPECT_THAT(Found(scanned, PersonalValues()), IsEmpty());
    // The positive control, in each of the ways the scan reads.
    const std::vector<std::string> canary = {kCanary};
    Scanned files;
    AddFileBytes(db_, "db", &files);
    EXPECT_THAT(Found(files, canary), Not(IsEmpty())) << "the scan of the files' bytes is blind";
    Scanned decoded;
    AddDecodedDatabases(db_, "db", &decoded);
    EXPECT_THAT(Found(decoded, canary), Not(IsEmpty())) << "the scan of the databases is blind";
    for (const char* output : {"export --format jsonl", "export --format binary"}) {
      EXPECT_THAT(scanned.at(output), HasSubstr(kCanary)) << output;
    }
    Scanned bundle;
    AddFileBytes(dir_.Sub(flushed ? "bundle-flushed" : "bundle-logged"), "bundle", &bundle);
    EXPECT_THAT(Found(bundle, canary), Not(IsEmpty()));
  }
  // The data is there, sealed: revealed with the key, explicitly.
  const std::string revealed = dir_.Sub("revealed.jsonl");
  ToolRun run = Loyalty({"export", "--reveal-personal", "--master-key", key_, "--out", revealed});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const TestMember& member : {kByCommand, kUpdatedByEngine, kUpdatedByTool}) {
    EXPECT_THAT(ReadAll(revealed), HasSubstr(member.name));
  }
}

TEST_F(PrivacyScanTest, AfterErasureNoPersonalValueIsStoredOrRevealed) {
  for (const char* member_id : {"M1", "M2", "M3"}) {
    ToolRun erased = Loyalty({"member", "erase", member_id, "--reason", "member request"});
    ASSERT_EQ(erased.exit_code, 0) << erased.err;
  }
  for (const bool flushed : {false, true}) {
    if (flushed) FlushToTables();
    EXPECT_THAT(Found(ScanEverything(flushed ? "flushed" : "logged"), PersonalValues()),
                IsEmpty());
  }
  // Revealing finds nothing left to reveal.
  const std::string revealed = dir_.Sub("revealed.jsonl");
  ToolRun run = Loyalty({"export", "--reveal-personal", "--master-key", key_, "--out", revealed});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  Scanned outputs = {{"export --reveal-personal", ReadAll(revealed)}};
  EXPECT_THAT(Found(outputs, PersonalValues()), IsEmpty());
  EXPECT_THAT(outputs.begin()->second, HasSubstr(kCanary));
  for (const char* member_id : {"M1", "M2", "M3"}) {
    ToolRun shown =
        Loyalty({"member", "show", member_id, "--personal", "--master-key", key_});
    EXPECT_NE(shown.exit_code, 0);
    EXPECT_THAT(shown.err, HasSubstr("was erased"));
  }
}

}  // namespace
}  // namespace loyalty
