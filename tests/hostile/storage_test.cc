// Hostile input, storage: ordinary commands on directories that are not
// what they should be (issue 17, cases 1-4, 7, 8, 10, 11).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/hostile/campaign.h"

extern char** environ;

namespace loyalty::hostile {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Every file under `directory` with its size and last write time: what a
// command that only reads must leave exactly as it was.
std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> FileStates(
    const std::string& directory) {
  std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> states;
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    states[fs::relative(entry.path(), directory).string()] = {
        entry.is_regular_file() ? entry.file_size() : 0, entry.last_write_time()};
  }
  return states;
}

// The live table files of one column family of the ledger in `directory`
// (opened as plain RocksDB while no tool runs), by name.
std::vector<std::string> TablesOf(const std::string& directory, const std::string& family) {
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), directory, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status =
      rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), directory, descriptors, &handles, &db);
  EXPECT_TRUE(status.ok()) << status.ToString();
  std::vector<std::string> tables;
  if (!status.ok()) return tables;
  std::vector<rocksdb::LiveFileMetaData> files;
  db->GetLiveFilesMetaData(&files);
  for (const rocksdb::LiveFileMetaData& file : files) {
    if (file.column_family_name == family) tables.push_back(directory + file.name);
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle);
  delete db;
  return tables;
}

// Flips every bit of `count` bytes in the middle of `path`.
void FlipBytes(const std::string& path, size_t count = 16) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(file.good()) << path;
  file.seekg(0, std::ios::end);
  const std::streamoff size = file.tellg();
  ASSERT_GT(size, static_cast<std::streamoff>(2 * count));
  const std::streamoff at = size / 3;
  std::string bytes(count, '\0');
  file.seekg(at);
  file.read(bytes.data(), static_cast<std::streamsize>(count));
  for (char& byte : bytes) byte = static_cast<char>(~byte);
  file.seekp(at);
  file.write(bytes.data(), static_cast<std::streamsize>(count));
}

size_t CountEndingWith(const std::string& directory, const std::string& suffix) {
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (absl::EndsWith(entry.path().filename().string(), suffix)) ++count;
  }
  return count;
}

// Case 1: `demo --replace` deletes only a ledger and its own files.
TEST_F(HostileCampaign, DemoReplaceRefusesADirectoryHoldingOtherFiles) {
  fs::create_directories(Path("r1/photos"));
  WriteFile(Path("r1/photos/a.jpg"), "x");
  const ToolRun run = Loyalty({"--db", "r1", "demo", "--replace", "--members", "5"});
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_THAT(run.err, HasSubstr("photos"));
  EXPECT_TRUE(fs::exists(Path("r1/photos/a.jpg")));
}

TEST_F(HostileCampaign, DemoReplaceRefusesALedgerWithAStrangerInside) {
  const std::string ledger = MakeDemoLedger();
  WriteFile(ledger + "/notes.txt", "mine");
  WriteFile(ledger + "/member-keys/extra.bin", "mine too");
  const ToolRun run = Loyalty({"--db", "ledger", "demo", "--replace", "--members", "5"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.err, AllOf(HasSubstr("notes.txt"), HasSubstr("member-keys/extra.bin")));
  EXPECT_TRUE(fs::exists(ledger + "/notes.txt"));
  EXPECT_EQ(Loyalty({"--db", "ledger", "verify"}).exit_code, 0);
}

TEST_F(HostileCampaign, DemoReplaceStartsOverOnALedgerOfItsOwn) {
  MakeDemoLedger();
  const ToolRun run =
      Loyalty({"--db", "ledger", "demo", "--replace", "--members", "8", "--days", "10"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("8 enrolments"));
  EXPECT_EQ(Loyalty({"--db", "ledger", "verify"}).exit_code, 0);
}

// Case 2: a lost CURRENT never becomes a new, empty ledger.
TEST_F(HostileCampaign, ALedgerThatLostItsCurrentFileIsNamedNotReplaced) {
  const std::string ledger = MakeDemoLedger();
  const std::vector<std::string> tables = FilesEndingWith(ledger, ".sst");
  ASSERT_THAT(tables, Not(IsEmpty()));
  fs::remove(ledger + "/CURRENT");
  for (int run_number = 0; run_number < 2; ++run_number) {
    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{{"--db", "ledger", "append", "/dev/null"},
                                               {"--db", "ledger", "digests"},
                                               {"--db", "ledger", "init"},
                                               {"--db", "ledger", "verify"}}) {
      const ToolRun run = Loyalty(args);
      EXPECT_EQ(run.exit_code, 2) << args[2] << ": " << run.err;
      EXPECT_THAT(run.err, AllOf(HasSubstr("damaged"), HasSubstr("CURRENT"), HasSubstr("repair")))
          << args[2];
    }
  }
  EXPECT_EQ(FilesEndingWith(ledger, ".sst"), tables);
  EXPECT_FALSE(fs::exists(ledger + "/CURRENT"));
}

TEST_F(HostileCampaign, AppendAndInitRefuseADirectoryThatIsNotALedger) {
  fs::create_directories(Path("notes"));
  WriteFile(Path("notes/todo.txt"), "buy milk");
  for (const std::string command : {"append", "init"}) {
    const ToolRun run = command == std::string("append")
                            ? Loyalty({"--db", "notes", "append", "/dev/null"})
                            : Loyalty({"--db", "notes", "init"});
    EXPECT_NE(run.exit_code, 0) << command;
    EXPECT_THAT(run.err, HasSubstr("todo.txt")) << command;
  }
  EXPECT_EQ(Tree(Path("notes")), (std::set<std::string>{"todo.txt"}));
}

// Case 3: a command that reads writes nothing, and the member key store is
// never made again over its files.
TEST_F(HostileCampaign, ReadingCommandsWriteNothing) {
  const std::string ledger = MakeDemoLedger();
  const auto before = FileStates(ledger);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"digests"}, {"tiers"}, {"liability"}, {"partners"}, {"verify"}, {"head"},
           {"member", "show", "M000001"}, {"sla", "report"}, {"metrics"},
           {"export", "--out", "-"}}) {
    std::vector<std::string> full = {"--db", "ledger"};
    full.insert(full.end(), args.begin(), args.end());
    const ToolRun run = Loyalty(full);
    EXPECT_EQ(run.exit_code, 0) << args[0] << ": " << run.err;
  }
  EXPECT_EQ(FileStates(ledger), before);
}

TEST_F(HostileCampaign, ALostKeyStoreCurrentIsNamedAndNeverRecreated) {
  const std::string ledger = MakeDemoLedger();
  const std::vector<std::string> key_tables = FilesEndingWith(ledger + "/member-keys", ".sst");
  const std::string digests = Loyalty({"--db", "ledger", "digests"}).out;
  fs::remove(ledger + "/member-keys/CURRENT");
  const auto before = FileStates(ledger);
  for (int run_number = 0; run_number < 2; ++run_number) {
    // Reading what needs no personal data goes on, and says what is wrong.
    const ToolRun run = Loyalty({"--db", "ledger", "digests"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, digests);
    EXPECT_THAT(run.err, AllOf(HasSubstr("member-keys"), HasSubstr("damaged")));
  }
  EXPECT_EQ(FileStates(ledger), before);
  // What needs the keys, and every writing command, stops and names it.
  const ToolRun personal = Loyalty({"--db", "ledger", "member", "show", "M000001", "--personal",
                                    "--master-key", "ledger.key"});
  EXPECT_EQ(personal.exit_code, 2) << personal.err;
  EXPECT_THAT(personal.err, HasSubstr("member-keys"));
  const ToolRun erase =
      Loyalty({"--db", "ledger", "member", "erase", "M000001", "--reason", "asked"});
  EXPECT_EQ(erase.exit_code, 2) << erase.err;
  EXPECT_THAT(erase.err, HasSubstr("member-keys"));
  EXPECT_EQ(FilesEndingWith(ledger + "/member-keys", ".sst"), key_tables);
  EXPECT_FALSE(fs::exists(ledger + "/member-keys/CURRENT"));
}

TEST_F(HostileCampaign, AMissingKeyStoreIsNamedWhenTheLogHoldsSealedData) {
  const std::string ledger = MakeDemoLedger();
  fs::rename(ledger + "/member-keys", Path("keys-elsewhere"));
  const ToolRun erase =
      Loyalty({"--db", "ledger", "member", "erase", "M000001", "--reason", "asked"});
  EXPECT_EQ(erase.exit_code, 2) << erase.err;
  EXPECT_THAT(erase.err, AllOf(HasSubstr("member-keys"), HasSubstr("missing")));
  EXPECT_FALSE(fs::exists(ledger + "/member-keys"));
  // Put back, everything works again: nothing was changed meanwhile.
  fs::rename(Path("keys-elsewhere"), ledger + "/member-keys");
  const ToolRun personal = Loyalty({"--db", "ledger", "member", "show", "M000001", "--personal",
                                    "--master-key", "ledger.key"});
  EXPECT_EQ(personal.exit_code, 0) << personal.err;
}

// Case 4: a kill at any moment of the first demo leaves no directory that
// commands reject: either nothing, or a ledger.
TEST_F(HostileCampaign, AKillDuringTheFirstDemoLeavesNothingOrALedger) {
  std::mt19937 random(4242);
  for (int round = 0; round < 12; ++round) {
    const std::string name = absl::StrCat("k", round);
    const pid_t pid = loyalty::testing::SpawnTool(
        LOYALTY_BINARY, {"--db", Path(name), "demo", "--members", "20", "--days", "20"});
    ASSERT_NE(pid, 0);
    usleep(std::uniform_int_distribution<int>(0, 40000)(random));
    kill(pid, SIGKILL);
    int wait_status = 0;
    waitpid(pid, &wait_status, 0);
    // The next demo works on whatever was left, and so does verify.
    const ToolRun demo = Loyalty({"--db", name, "demo", "--members", "20", "--days", "20"});
    EXPECT_EQ(demo.exit_code, 0) << "round " << round << ": " << demo.err;
    const ToolRun verify = Loyalty({"--db", name, "verify"});
    EXPECT_EQ(verify.exit_code, 0) << "round " << round << ": " << verify.err;
  }
  // No temporary directory of a creation is left once a creation finished.
  for (const std::string& entry : Tree(Path(""))) {
    EXPECT_THAT(entry, Not(HasSubstr(".creating-"))) << entry;
  }
}

// Case 7: a checkpoint of another ledger is not used.
TEST_F(HostileCampaign, ACheckpointCopiedFromAnotherLedgerIsSetAsideAndRebuilt) {
  const std::string a = MakeDemoLedger("a");
  ASSERT_EQ(Loyalty({"--db", "b", "demo", "--members", "30", "--days", "45", "--seed", "9",
                     "--no-sync"})
                .exit_code,
            0);
  const std::string b = Path("b");
  const std::string b_digests = Loyalty({"--db", "b", "digests"}).out;
  ASSERT_NE(Loyalty({"--db", "a", "digests"}).out, b_digests);
  fs::remove_all(b + "/projections");
  fs::copy(a + "/projections", b + "/projections", fs::copy_options::recursive);
  // Read-only: not used, and said so.
  const ToolRun read = Loyalty({"--db", "b", "digests"});
  EXPECT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(read.out, b_digests);
  EXPECT_THAT(read.err, HasSubstr("another log"));
  // Writing: set aside, rebuilt, and quiet from then on.
  const ToolRun rebuild = Loyalty({"--db", "b", "rebuild"});
  EXPECT_EQ(rebuild.exit_code, 0) << rebuild.err;
  EXPECT_EQ(rebuild.out, b_digests);
  EXPECT_TRUE(fs::exists(b + "/projections.damaged"));
  const ToolRun after = Loyalty({"--db", "b", "digests"});
  EXPECT_EQ(after.out, b_digests);
  EXPECT_THAT(after.err, IsEmpty());
}

// Case 8: damaged derived data heals.
class DamagedCheckpoint : public HostileCampaign,
                          public ::testing::WithParamInterface<std::string> {};

TEST_P(DamagedCheckpoint, IsSetAsideAndTheProjectionsRebuilt) {
  const std::string ledger = MakeDemoLedger();
  const std::string digests = Loyalty({"--db", "ledger", "digests"}).out;
  const std::string projections = ledger + "/projections";
  const std::string damage = GetParam();
  FlushToTables();
  if (damage == "bit flip") {
    for (const std::string& table : FilesEndingWith(projections, ".sst")) {
      FlipBytes(projections + "/" + table);
    }
  } else if (damage == "truncation") {
    for (const std::string& table : FilesEndingWith(projections, ".sst")) {
      fs::resize_file(projections + "/" + table, fs::file_size(projections + "/" + table) / 2);
    }
  } else if (damage == "lost manifest") {
    for (const std::string& manifest : FilesEndingWith(projections, "")) {
      if (absl::StartsWith(manifest, "MANIFEST-")) fs::remove(projections + "/" + manifest);
    }
  } else if (damage == "past the head") {
    ASSERT_EQ(Loyalty({"--db", "longer", "demo", "--members", "30", "--days", "60", "--no-sync"})
                  .exit_code,
              0);
    fs::remove_all(projections);
    fs::copy(Path("longer/projections"), projections, fs::copy_options::recursive);
  }
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--db", "ledger", "digests"}, {"--db", "ledger", "tiers"}}) {
    const ToolRun run = Loyalty(args);
    EXPECT_EQ(run.exit_code, 0) << damage << ", " << args[2] << ": " << run.err;
    EXPECT_THAT(run.err, HasSubstr("checkpoint")) << damage;
  }
  EXPECT_EQ(Loyalty({"--db", "ledger", "digests"}).out, digests) << damage;
  const ToolRun rebuild = Loyalty({"--db", "ledger", "rebuild"});
  EXPECT_EQ(rebuild.exit_code, 0) << damage << ": " << rebuild.err;
  EXPECT_EQ(rebuild.out, digests);
  const ToolRun healed = Loyalty({"--db", "ledger", "digests"});
  EXPECT_EQ(healed.out, digests);
  EXPECT_THAT(healed.err, IsEmpty()) << damage;
}

INSTANTIATE_TEST_SUITE_P(Cases, DamagedCheckpoint,
                         ::testing::Values("bit flip", "truncation", "lost manifest",
                                           "past the head"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == ' ') c = '_';
                           }
                           return name;
                         });

// Case 10: damage is exit code 2 with the file named, never "in use".
TEST_F(HostileCampaign, ADamagedMetaTableIsDamageNotALock) {
  const std::string ledger = MakeDemoLedger();
  FlushToTables();
  const std::vector<std::string> tables = TablesOf(ledger, "meta");
  ASSERT_THAT(tables, Not(IsEmpty()));
  for (const std::string& table : tables) FlipBytes(table, 64);
  for (const std::string command : {"head", "verify", "digests"}) {
    const ToolRun run = Loyalty({"--db", "ledger", command});
    EXPECT_EQ(run.exit_code, 2) << command << ": " << run.err;
    EXPECT_THAT(run.err, Not(HasSubstr("in use"))) << command;
    EXPECT_THAT(run.err, HasSubstr(".sst")) << command;
  }
}

TEST_F(HostileCampaign, VerifyOfADamagedEventsTableIsExitTwoNamingTheFile) {
  const std::string ledger = MakeDemoLedger();
  FlushToTables();
  const std::vector<std::string> tables = TablesOf(ledger, "events");
  ASSERT_THAT(tables, Not(IsEmpty()));
  FlipBytes(tables.front(), 64);
  const ToolRun run = Loyalty({"--db", "ledger", "verify"});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_THAT(run.err, HasSubstr(fs::path(tables.front()).filename().string()));
}

TEST_F(HostileCampaign, VerifyChecksTheStreamsIndexAgainstTheLog) {
  const std::string ledger = MakeDemoLedger();
  FlushToTables();
  const std::vector<std::string> tables = TablesOf(ledger, "streams");
  ASSERT_THAT(tables, Not(IsEmpty()));
  for (const std::string& table : tables) FlipBytes(table, 64);
  const ToolRun run = Loyalty({"--db", "ledger", "verify"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
}

TEST_F(HostileCampaign, VerifyChecksTheIdempotencyIndexAgainstTheLog) {
  const std::string ledger = MakeDemoLedger();
  FlushToTables();
  const std::vector<std::string> tables = TablesOf(ledger, "idempotency");
  ASSERT_THAT(tables, Not(IsEmpty()));
  for (const std::string& table : tables) FlipBytes(table, 64);
  const ToolRun run = Loyalty({"--db", "ledger", "verify"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
}

// Case 11: opening and closing leaves a bounded number of files.
TEST_F(HostileCampaign, ManyCommandsLeaveABoundedNumberOfLogFiles) {
  const std::string ledger = MakeDemoLedger();
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(Loyalty({"--db", "ledger", "digests"}).exit_code, 0);
    // A writing command that writes nothing new.
    ASSERT_EQ(Loyalty({"--db", "ledger", "init"}).exit_code, 0);
    if (i % 10 == 0) {
      ASSERT_EQ(Loyalty({"--db", "ledger", "rebuild"}).exit_code, 0);
    }
  }
  for (const std::string& store : {ledger, ledger + "/projections", ledger + "/member-keys"}) {
    EXPECT_LE(CountEndingWith(store, ".log"), 3u) << store;
    EXPECT_LE(CountEndingWith(store, ".sst") , 12u) << store;
  }
}

}  // namespace
}  // namespace loyalty::hostile
