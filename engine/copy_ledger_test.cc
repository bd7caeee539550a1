// CopyLedger (loyalty/copy.h): the copy holds the same bytes at the same
// sequences with the same chain, its member keys open the same personal
// data with the source's master key, a second call brings it up to date
// (erasures included), and what is not a copy of the source is refused
// untouched. Directory to directory always; directory to PostgreSQL and
// back against a throwaway server when the build has PostgreSQL.
#include "loyalty/copy.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/engine.h"
#include "loyalty/privacy.h"
#include "privacy/member_key_store.h"
#include "testing/commands.h"
#include "testing/demo_program.h"
#include "testing/events.h"
#include "testing/raw_ledger_db.h"
#include "testing/temp_dir.h"
#ifdef LOYALTY_THROWAWAY_POSTGRES
#include "testing/throwaway_postgres.h"
#endif

namespace loyalty {
namespace {

namespace fs = std::filesystem;
using ::loyalty::testing::kJan2024Us;
using ::loyalty::testing::TempDir;
using ::testing::HasSubstr;

constexpr int64_t kDayUs = 86400LL * 1000000;

std::unique_ptr<Ledger> OpenForReading(const std::string& location) {
  LedgerOptions options;
  options.create_if_missing = false;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<Ledger>> ledger =
      absl::StartsWith(location, "postgres") ? Ledger::OpenPostgres(location, options)
                                             : Ledger::Open(location, options);
  EXPECT_TRUE(ledger.ok()) << ledger.status();
  return ledger.ok() ? *std::move(ledger) : nullptr;
}

// Every event's sequence, canonical bytes and hash.
std::vector<std::tuple<uint64_t, std::string, Hash>> RawLog(const std::string& location) {
  std::vector<std::tuple<uint64_t, std::string, Hash>> log;
  std::unique_ptr<Ledger> ledger = OpenForReading(location);
  if (ledger == nullptr) return log;
  EXPECT_TRUE(ledger
                  ->ScanRaw(1, ledger->Head().sequence,
                            [&log](const RawEvent& raw) {
                              log.emplace_back(raw.sequence, std::string(raw.canonical_bytes),
                                               raw.hash);
                              return absl::OkStatus();
                            })
                  .ok());
  return log;
}

// What a file tree holds: each path with its size and modification time.
std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> Tree(const std::string& root) {
  std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> tree;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root)) {
    tree[entry.path().string()] = {entry.is_regular_file() ? entry.file_size() : 0,
                                   entry.last_write_time()};
  }
  return tree;
}

class CopyLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override { clock_.Set(kJan2024Us + 30 * kDayUs); }

  // An engine on a ledger directory, or on PostgreSQL when `location` is a
  // URI (its checkpoint in memory), under `master_key`.
  std::unique_ptr<Engine> OpenEngine(const std::string& location,
                                     const std::string& master_key = std::string(32, 'k'),
                                     bool read_only = false) {
    EngineOptions options;
    options.ledger.clock = &clock_;
    options.ledger.read_only = read_only;
    options.ledger.create_if_missing = !read_only;
    if (!master_key.empty()) options.master_key = MasterKeyFromBytes(master_key);
    options.notice = [](absl::string_view) {};
    std::string directory = location;
    if (absl::StartsWith(location, "postgres")) {
      options.postgres_uri = location;
      directory = "";
    }
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(directory, options);
    EXPECT_TRUE(engine.ok()) << engine.status();
    return engine.ok() ? *std::move(engine) : nullptr;
  }

  // Members M1..M`members` enrolled with a birth date, each buying twice in
  // two separate appends.
  void WriteHistory(Engine& engine, int members, int first = 1) {
    for (int i = first; i < first + members; ++i) {
      const std::string member = absl::StrCat("M", i);
      ASSERT_TRUE(engine.Execute(testing::EnrolBornOnCommand(member, 1980 + i, 1 + i % 12, 10,
                                                             kJan2024Us))
                      .ok());
      clock_.Advance(1000);
      for (int p = 1; p <= 2; ++p) {
        ASSERT_TRUE(engine
                        .Execute(testing::PurchaseCommand(absl::StrCat(member, "-p", p), member,
                                                          10000 * i + p, kJan2024Us + p * kDayUs))
                        .ok());
        clock_.Advance(1000);
      }
    }
  }

  // A ledger at `location` with WriteHistory's `members` members, closed.
  void WriteLedger(const std::string& location, int members, int first = 1) {
    std::unique_ptr<Engine> engine = OpenEngine(location);
    ASSERT_NE(engine, nullptr);
    WriteHistory(*engine, members, first);
  }

  // The member key store of the ledger directory `directory`.
  static std::unique_ptr<privacy::MemberKeyStore> OpenKeys(const std::string& directory,
                                                           bool read_only) {
    absl::StatusOr<std::unique_ptr<privacy::MemberKeyStore>> keys =
        privacy::MemberKeyStore::Open((fs::path(directory) / "member-keys").string(), read_only);
    EXPECT_TRUE(keys.ok()) << keys.status();
    return keys.ok() ? *std::move(keys) : nullptr;
  }

  void Erase(Engine& engine, const std::string& member_id) {
    EraseMember erase;
    erase.member_id = member_id;
    erase.reason = "member asked";
    erase.occurred_at_us = clock_.NowMicros();
    erase.actor_id = "privacy-office";
    absl::StatusOr<CommandResult> erased = engine.Execute(erase);
    ASSERT_TRUE(erased.ok()) << erased.status();
    clock_.Advance(1000);
  }

  static std::vector<ProjectionDigest> Digests(Engine& engine) {
    absl::StatusOr<std::vector<ProjectionDigest>> digests = engine.Rebuild();
    EXPECT_TRUE(digests.ok()) << digests.status();
    return digests.ok() ? *digests : std::vector<ProjectionDigest>();
  }

  static void ExpectSameDigests(Engine& a, Engine& b) {
    const std::vector<ProjectionDigest> ours = Digests(a);
    const std::vector<ProjectionDigest> theirs = Digests(b);
    ASSERT_EQ(ours.size(), theirs.size());
    ASSERT_FALSE(ours.empty());
    for (size_t i = 0; i < ours.size(); ++i) {
      EXPECT_EQ(ours[i].digest, theirs[i].digest) << ours[i].name;
    }
  }

  TempDir dir_;
  ManualClock clock_;
};

TEST_F(CopyLedgerTest, ADemoLogIsCopiedWithTheSameBytesHashesAndDigests) {
  const std::string source = dir_.Sub("demo");
  ASSERT_TRUE(testing::GenerateDemoProgram(source, 30, 60).ok());
  const std::string copy = dir_.Sub("copy");
  absl::StatusOr<CopyReport> report = CopyLedger(source, copy);
  ASSERT_TRUE(report.ok()) << report.status();

  const auto source_log = RawLog(source);
  ASSERT_GT(source_log.size(), 200u);
  EXPECT_EQ(RawLog(copy), source_log);
  EXPECT_EQ(report->events_present, 0u);
  EXPECT_EQ(report->events_copied, source_log.size());
  EXPECT_EQ(report->head.sequence, source_log.size());
  EXPECT_EQ(report->head.hash, std::get<2>(source_log.back()));
  EXPECT_EQ(report->head.recorded_at_us, OpenForReading(source)->Head().recorded_at_us);
  EXPECT_EQ(report->member_keys_copied, 30u);
  EXPECT_EQ(report->member_keys_destroyed, 0u);

  // The copy's projections are replayed on its first open, to the same
  // state as the source's.
  std::unique_ptr<Engine> theirs = OpenEngine(source, "", /*read_only=*/true);
  std::unique_ptr<Engine> ours = OpenEngine(copy, "", /*read_only=*/true);
  ASSERT_NE(theirs, nullptr);
  ASSERT_NE(ours, nullptr);
  ExpectSameDigests(*theirs, *ours);

  // Copying again finds nothing to do.
  absl::StatusOr<CopyReport> again = CopyLedger(source, copy);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->events_present, source_log.size());
  EXPECT_EQ(again->events_copied, 0u);
  EXPECT_EQ(again->member_keys_copied, 0u);
}

TEST_F(CopyLedgerTest, TheSourceIsOnlyRead) {
  const std::string source = dir_.Sub("source");
  WriteLedger(source, 3);
  const auto before = Tree(source);
  ASSERT_TRUE(CopyLedger(source, dir_.Sub("copy")).ok());
  EXPECT_EQ(Tree(source), before);
}

TEST_F(CopyLedgerTest, PersonalDataOpensInTheCopyWithTheSourcesMasterKeyAndErasuresFollow) {
  const std::string source = dir_.Sub("source");
  const std::string copy = dir_.Sub("copy");
  std::unique_ptr<Engine> engine = OpenEngine(source);
  ASSERT_NE(engine, nullptr);
  WriteHistory(*engine, 3);
  Erase(*engine, "M2");
  engine.reset();

  absl::StatusOr<CopyReport> first = CopyLedger(source, copy);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->member_keys_copied, 2u);
  {
    std::unique_ptr<Engine> ours = OpenEngine(copy);
    ASSERT_NE(ours, nullptr);
    absl::StatusOr<v1::PersonalData> m1 = ours->PersonalDataOf("M1");
    ASSERT_TRUE(m1.ok()) << m1.status();
    EXPECT_EQ(m1->birth_date().year(), 1981);
    absl::StatusOr<v1::PersonalData> m2 = ours->PersonalDataOf("M2");
    EXPECT_EQ(m2.status().code(), absl::StatusCode::kFailedPrecondition) << m2.status();
    EXPECT_THAT(m2.status().message(), HasSubstr("erased"));
    // Another master key is refused.
    ours.reset();
    EngineOptions wrong_key;
    wrong_key.ledger.read_only = true;
    wrong_key.master_key = MasterKeyFromBytes(std::string(32, 'x'));
    absl::StatusOr<std::unique_ptr<Engine>> refused = Engine::Open(copy, wrong_key);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  }

  // The source goes on: more members, M3 erased. The next call appends
  // only what is new, writes the new keys and destroys M3's.
  engine = OpenEngine(source);
  ASSERT_NE(engine, nullptr);
  WriteHistory(*engine, 2, /*first=*/4);
  Erase(*engine, "M3");
  const ChainHead source_head = engine->ledger().Head();
  engine.reset();
  absl::StatusOr<CopyReport> second = CopyLedger(source, copy);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->events_present, first->head.sequence);
  EXPECT_EQ(second->events_copied, source_head.sequence - first->head.sequence);
  EXPECT_EQ(second->member_keys_copied, 2u);
  EXPECT_EQ(second->member_keys_destroyed, 1u);
  EXPECT_EQ(second->head.hash, source_head.hash);
  EXPECT_EQ(RawLog(copy), RawLog(source));

  std::unique_ptr<Engine> ours = OpenEngine(copy);
  ASSERT_NE(ours, nullptr);
  EXPECT_TRUE(ours->PersonalDataOf("M5").ok());
  EXPECT_FALSE(ours->PersonalDataOf("M3").ok());
  ours.reset();
  std::unique_ptr<privacy::MemberKeyStore> keys = OpenKeys(copy, /*read_only=*/true);
  ASSERT_NE(keys, nullptr);
  EXPECT_THAT(keys->MemberIds().value(), ::testing::ElementsAre("M1", "M4", "M5"));
}

TEST_F(CopyLedgerTest, ADestinationHoldingAnotherLogIsRefusedUntouched) {
  const std::string source = dir_.Sub("source");
  const std::string other = dir_.Sub("other");
  for (const std::string& location : {source, other}) {
    // The same commands, recorded a day apart: no event is the same.
    WriteLedger(location, 2);
    clock_.Advance(kDayUs);
  }
  const auto before = Tree(other);
  absl::StatusOr<CopyReport> refused = CopyLedger(source, other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("holds another log: its event at sequence 1 "));
  EXPECT_EQ(Tree(other), before);

  // A copy that went further than the source (written to since) is refused
  // too.
  const std::string copy = dir_.Sub("copy");
  ASSERT_TRUE(CopyLedger(source, copy).ok());
  WriteLedger(copy, 1, /*first=*/9);
  refused = CopyLedger(source, copy);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("more than the source's"));
}

TEST_F(CopyLedgerTest, ADirectoryOfOtherFilesOrTheSourceItselfIsRefused) {
  const std::string source = dir_.Sub("source");
  WriteLedger(source, 1);
  const std::string other = dir_.Sub("notes");
  fs::create_directories(other);
  std::ofstream(fs::path(other) / "todo.txt") << "keep me\n";
  absl::StatusOr<CopyReport> refused = CopyLedger(source, other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("copy: destination " + other));
  EXPECT_EQ(std::vector<fs::path>(fs::directory_iterator(other), fs::directory_iterator()),
            std::vector<fs::path>{fs::path(other) / "todo.txt"});

  refused = CopyLedger(source, source);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
  refused = CopyLedger(source, dir_.Sub("source/../source/inner"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
  EXPECT_FALSE(fs::exists(dir_.Sub("source/inner")));
  refused = CopyLedger(source, "host=/tmp/socket user=loyalty dbname=mall");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("postgresql:// URI"));
  refused = CopyLedger(source, "");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();

  // A source that is not there makes nothing either.
  refused = CopyLedger(dir_.Sub("missing"), dir_.Sub("copy"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
  EXPECT_FALSE(fs::exists(dir_.Sub("missing")));
  EXPECT_FALSE(fs::exists(dir_.Sub("copy")));
}

TEST_F(CopyLedgerTest, KeysUnderAnotherMasterKeyAreRefused) {
  const std::string source = dir_.Sub("source");
  WriteLedger(source, 1);
  // An empty ledger whose key store another master key began.
  const std::string copy = dir_.Sub("copy");
  {
    std::unique_ptr<Engine> engine = OpenEngine(copy, std::string(32, 'x'));
    ASSERT_NE(engine, nullptr);
  }
  {
    std::unique_ptr<privacy::MemberKeyStore> keys = OpenKeys(copy, /*read_only=*/false);
    ASSERT_NE(keys, nullptr);
    ASSERT_TRUE(keys->Put("X1", "wrapped", "another check value").ok());
  }
  absl::StatusOr<CopyReport> refused = CopyLedger(source, copy);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("another master key"));
  EXPECT_EQ(OpenForReading(copy)->Head().sequence, 0u);
}

TEST_F(CopyLedgerTest, ASourceWithAnErasureInProgressIsRefused) {
  const std::string source = dir_.Sub("source");
  WriteLedger(source, 2);
  {
    std::unique_ptr<privacy::MemberKeyStore> keys = OpenKeys(source, /*read_only=*/false);
    ASSERT_NE(keys, nullptr);
    ASSERT_TRUE(keys->MarkErasurePending("M2").ok());
  }
  absl::StatusOr<CopyReport> refused = CopyLedger(source, dir_.Sub("copy"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("erasure of member M2"));
  EXPECT_FALSE(fs::exists(dir_.Sub("copy")));
}

TEST_F(CopyLedgerTest, ASourceThatDoesNotVerifyIsNotCopied) {
  const std::string source = dir_.Sub("source");
  WriteLedger(source, 2);
  {
    testing::RawLedgerDb raw(source);
    std::string value = raw.Get(3);
    value[value.size() - 40] ^= 1;  // a byte of the event, not of its hash
    raw.Put(3, value);
  }
  absl::StatusOr<CopyReport> refused = CopyLedger(source, dir_.Sub("copy"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("sequence 3"));
  EXPECT_FALSE(fs::exists(dir_.Sub("copy")));
}

#ifdef LOYALTY_THROWAWAY_POSTGRES
// The demo's program from a directory into PostgreSQL and from there into a
// second directory: the same bytes and chain at every hop, the same digests,
// and personal data read on PostgreSQL with the demo's master key.
TEST_F(CopyLedgerTest, ADirectoryGoesToPostgresAndBackWithTheSameChainHead) {
  absl::StatusOr<std::string> database = testing::ThrowawayPostgres::NewSharedDatabase();
  ASSERT_TRUE(database.ok()) << database.status();
  const std::string uri = (*testing::ThrowawayPostgres::Shared())->UriOf(*database);
  ASSERT_TRUE(absl::StartsWith(uri, "postgresql://")) << uri;
  const std::string source = dir_.Sub("source");
  {
    std::unique_ptr<Engine> engine = OpenEngine(source);
    ASSERT_NE(engine, nullptr);
    WriteHistory(*engine, 4);
    Erase(*engine, "M4");
  }
  absl::StatusOr<CopyReport> to_postgres = CopyLedger(source, uri);
  ASSERT_TRUE(to_postgres.ok()) << to_postgres.status();
  EXPECT_EQ(to_postgres->member_keys_copied, 3u);
  const std::string back = dir_.Sub("back");
  absl::StatusOr<CopyReport> to_directory = CopyLedger(uri, back);
  ASSERT_TRUE(to_directory.ok()) << to_directory.status();
  EXPECT_EQ(to_directory->head.hash, to_postgres->head.hash);
  EXPECT_EQ(to_directory->member_keys_copied, 3u);
  const auto source_log = RawLog(source);
  EXPECT_EQ(RawLog(uri), source_log);
  EXPECT_EQ(RawLog(back), source_log);

  std::unique_ptr<Engine> on_postgres = OpenEngine(uri);
  ASSERT_NE(on_postgres, nullptr);
  absl::StatusOr<v1::PersonalData> m3 = on_postgres->PersonalDataOf("M3");
  ASSERT_TRUE(m3.ok()) << m3.status();
  EXPECT_EQ(m3->birth_date().year(), 1983);
  EXPECT_FALSE(on_postgres->PersonalDataOf("M4").ok());
  std::unique_ptr<Engine> in_directory = OpenEngine(back);
  ASSERT_NE(in_directory, nullptr);
  ExpectSameDigests(*on_postgres, *in_directory);

  // The engine on PostgreSQL goes on; the directory copy follows it.
  WriteHistory(*on_postgres, 1, /*first=*/7);
  const ChainHead head = on_postgres->ledger().Head();
  in_directory.reset();
  absl::StatusOr<CopyReport> follow = CopyLedger(uri, back);
  ASSERT_TRUE(follow.ok()) << follow.status();
  EXPECT_EQ(follow->events_present, to_directory->head.sequence);
  EXPECT_EQ(follow->head.hash, head.hash);
}
#endif

}  // namespace
}  // namespace loyalty
