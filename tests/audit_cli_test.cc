// The auditor's tools end to end, run as a user runs them: `loyalty` for
// replays, checkpoints, proofs and bundles; Python's verifier
// (tools/verify_bundle.py) against the engine; `protoc --decode` from the
// repository's schemas; OpenSSL's command line for signatures; RocksDB's
// `ldb` to tamper with a closed ledger.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/temp_dir.h"
#include "tests/tool_runner.h"

namespace loyalty {
namespace {

using ::loyalty::testing::Lines;
using ::loyalty::testing::ReadFile;
using ::loyalty::testing::RunTool;
using ::loyalty::testing::TempDir;
using ::loyalty::testing::ToolRun;
using ::loyalty::testing::WriteFile;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kSchemasDir[] = LOYALTY_SOURCE_DIR "/schemas";
constexpr char kVerifier[] = LOYALTY_SOURCE_DIR "/tools/verify_bundle.py";

// The value after `key ` on a line of `text`; "" if none.
std::string Field(const std::string& text, const std::string& key) {
  for (const std::string& line : Lines(text)) {
    if (absl::StartsWith(line, key + " ")) return line.substr(key.size() + 1);
  }
  return "";
}

// The records of a length-delimited file (each: a varint length, then bytes).
std::vector<std::string> SplitDelimited(const std::string& data) {
  std::vector<std::string> records;
  size_t at = 0;
  while (at < data.size()) {
    uint64_t length = 0;
    int shift = 0;
    while (true) {
      const uint8_t byte = static_cast<uint8_t>(data.at(at++));
      length |= static_cast<uint64_t>(byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) == 0) break;
    }
    records.push_back(data.substr(at, length));
    at += length;
  }
  return records;
}

// A small generated program, a key, two signed checkpoints and the schema
// recorded, built once and copied by each test that changes it.
class AuditCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared_ = new TempDir();
    const std::string db = shared_->Sub("db");
    auto run = [](std::vector<std::string> args) {
      ToolRun result =
          RunTool(LOYALTY_BINARY, args, "/dev/null", shared_->path(), shared_->Sub("setup"));
      ASSERT_EQ(result.exit_code, 0) << absl::StrJoin(args, " ") << ": " << result.err;
    };
    run({"--db", db, "demo", "--members", "25", "--days", "40"});
    run({"--db", db, "schema", "record"});
    run({"checkpoint", "keygen", "--out", shared_->Sub("key.pem")});
    run({"--db", db, "checkpoint", "sign", "--key", shared_->Sub("key.pem"), "--at-seq", "40",
         "--signed-at", "2024-03-01T00:00:00Z"});
    run({"--db", db, "checkpoint", "sign", "--key", shared_->Sub("key.pem"), "--signed-at",
         "2024-03-02T00:00:00Z"});
  }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }

  void SetUp() override {
    std::filesystem::copy(shared_->Sub("db"), db_, std::filesystem::copy_options::recursive);
    std::filesystem::copy(shared_->Sub("key.pem"), key_);
    std::filesystem::copy(shared_->Sub("key.pem.pub"), pubkey_);
  }

  ToolRun Run(const std::string& binary, const std::vector<std::string>& args,
              const std::string& stdin_path = "/dev/null") {
    return RunTool(binary, args, stdin_path, dir_.path(), dir_.Sub(absl::StrCat("run-", runs_++)));
  }
  ToolRun Loyalty(const std::vector<std::string>& args,
                  const std::string& stdin_path = "/dev/null") {
    return Run(LOYALTY_BINARY, args, stdin_path);
  }
  ToolRun OnLedger(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", db_});
    return Loyalty(args);
  }
  ToolRun Python(std::vector<std::string> args) {
    args.insert(args.begin(), kVerifier);
    return Run(LOYALTY_PYTHON3, args);
  }

  uint64_t Head() { return std::stoull(Field(OnLedger({"head"}).out, "sequence")); }

  // The canonical bytes of every event, from `export --format binary`.
  std::vector<std::string> ExportedEvents() {
    ToolRun run = OnLedger({"export", "--format", "binary", "--out", dir_.Sub("events.bin")});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return SplitDelimited(ReadFile(dir_.Sub("events.bin")));
  }

  std::string Bundle(std::vector<std::string> extra = {}) {
    const std::string out = dir_.Sub(absl::StrCat("bundle-", runs_));
    std::vector<std::string> args = {"audit-bundle", "--out", out};
    args.insert(args.end(), extra.begin(), extra.end());
    ToolRun run = OnLedger(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return out;
  }

  static TempDir* shared_;
  TempDir dir_;
  std::string db_ = dir_.Sub("db");
  std::string key_ = dir_.Sub("key.pem");
  std::string pubkey_ = dir_.Sub("key.pem.pub");
  int runs_ = 0;
};

TempDir* AuditCliTest::shared_ = nullptr;

TEST_F(AuditCliTest, DigestsAgreeAcrossRebuildLiveAndAsOfReplays) {
  const std::string head = absl::StrCat(Head());
  ToolRun live = OnLedger({"digests"});
  ToolRun rebuilt = OnLedger({"rebuild"});
  ToolRun replayed = OnLedger({"replay", "--at-seq", head});
  ToolRun at_head = OnLedger({"digests", "--at-seq", head});
  ASSERT_EQ(live.exit_code, 0) << live.err;
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  ASSERT_EQ(at_head.exit_code, 0) << at_head.err;
  // The live projections as the events left them.
  EXPECT_EQ(rebuilt.out, live.out);
  // A replay at a sequence is evaluated at the business time of its last
  // event, as `digests --at-seq` is.
  const size_t digests = replayed.out.find("digests:\n");
  ASSERT_NE(digests, std::string::npos) << replayed.out;
  EXPECT_EQ(replayed.out.substr(digests + 9), at_head.out);

  // Replaying again gives the same bytes.
  EXPECT_EQ(OnLedger({"replay"}).out, replayed.out);

  // Past every event, business time and ledger time select the same events.
  ToolRun ledger_time = OnLedger({"replay", "--known-at", "2099-12-31", "--json"});
  ToolRun business_time = OnLedger({"replay", "--as-of", "2099-12-31", "--json"});
  ASSERT_EQ(ledger_time.exit_code, 0) << ledger_time.err;
  ASSERT_EQ(business_time.exit_code, 0) << business_time.err;
  auto digests_of = [](const std::string& json) { return json.substr(json.find("\"digests\"")); };
  EXPECT_EQ(digests_of(business_time.out), digests_of(ledger_time.out));
  EXPECT_THAT(business_time.out, HasSubstr(absl::StrCat("\"events_replayed\":", head)));

  // Midway, a business-time replay reads only what had occurred.
  ToolRun midway = OnLedger({"replay", "--as-of", "2024-01-20", "--json"});
  ASSERT_EQ(midway.exit_code, 0) << midway.err;
  const size_t replayed_at = midway.out.find("\"events_replayed\":");
  ASSERT_NE(replayed_at, std::string::npos) << midway.out;
  const uint64_t midway_events = std::stoull(midway.out.substr(replayed_at + 18));
  EXPECT_GT(midway_events, 0u);
  EXPECT_LT(midway_events, Head());
}

TEST_F(AuditCliTest, BundleReplaysAsTheLedgerDoes) {
  const std::string bundle = Bundle();
  for (const std::vector<std::string>& point : std::vector<std::vector<std::string>>{
           {},
           {"--at-seq", "40"},
           {"--as-of", "2024-01-20"},
           {"--known-at", "2024-01-20"},
           {"--as-of", "2024-01-20", "--business-time"},
           {"--as-of", "2099-12-31", "--json"}}) {
    std::vector<std::string> on_ledger = {"replay"};
    on_ledger.insert(on_ledger.end(), point.begin(), point.end());
    std::vector<std::string> on_bundle = on_ledger;
    on_bundle.insert(on_bundle.end(), {"--bundle", bundle});
    ToolRun from_ledger = OnLedger(on_ledger);
    ToolRun from_bundle = Loyalty(on_bundle);
    ASSERT_EQ(from_ledger.exit_code, 0) << from_ledger.err;
    ASSERT_EQ(from_bundle.exit_code, 0) << from_bundle.err;
    EXPECT_EQ(from_bundle.out, from_ledger.out) << absl::StrJoin(point, " ");
  }
  // The digests a bundle's replay gives are those its checkpoint signed.
  ToolRun at_checkpoint = Loyalty({"replay", "--bundle", bundle, "--at-seq", "40"});
  ASSERT_EQ(at_checkpoint.exit_code, 0) << at_checkpoint.err;
  std::vector<std::string> replayed_digests;
  bool in_digests = false;
  for (const std::string& line : Lines(at_checkpoint.out)) {
    if (in_digests) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      replayed_digests.push_back(absl::StrCat("projection ", parts.at(0), " ", parts.at(1)));
    }
    if (line == "digests:") in_digests = true;
  }
  std::vector<std::string> signed_digests;
  for (const std::string& line : Lines(ReadFile(bundle + "/checkpoints/000001.checkpoint"))) {
    if (absl::StartsWith(line, "projection ")) signed_digests.push_back(line);
  }
  EXPECT_FALSE(signed_digests.empty());
  EXPECT_EQ(replayed_digests, signed_digests);

  // A bundle that does not start at sequence 1 cannot be replayed.
  ToolRun partial = Loyalty({"replay", "--bundle", Bundle({"--from", "2"})});
  EXPECT_EQ(partial.exit_code, 1);
  EXPECT_THAT(partial.err, HasSubstr("needs every event from sequence 1"));
}

TEST_F(AuditCliTest, CheckpointsVerifyWithTheSignersKeyOnly) {
  ToolRun verified = OnLedger({"checkpoint", "verify", "--pubkey", pubkey_});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("checkpoint 1 (sequence 40): signature ok, chain head ok, "
                                      "merkle root ok, digests ok"));
  EXPECT_THAT(verified.out, HasSubstr("ok: 2 checkpoints verified"));

  ToolRun other_key = Loyalty({"checkpoint", "keygen", "--out", dir_.Sub("other.pem")});
  ASSERT_EQ(other_key.exit_code, 0) << other_key.err;
  ToolRun wrong = OnLedger({"checkpoint", "verify", "--pubkey", dir_.Sub("other.pem.pub")});
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_THAT(wrong.err, HasSubstr("not by the trusted key"));

  // keygen never replaces a key.
  ToolRun again = Loyalty({"checkpoint", "keygen", "--out", key_});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("exists"));
}

TEST_F(AuditCliTest, KeysFromOpensslSignAndOpensslVerifiesTheSignatures) {
  const std::string key = dir_.Sub("openssl.pem");
  const std::string pubkey = dir_.Sub("openssl.pub.pem");
  ASSERT_EQ(Run(LOYALTY_OPENSSL, {"genpkey", "-algorithm", "ed25519", "-out", key}).exit_code, 0);
  ASSERT_EQ(Run(LOYALTY_OPENSSL, {"pkey", "-in", key, "-pubout", "-out", pubkey}).exit_code, 0);
  ToolRun signed_run = OnLedger({"checkpoint", "sign", "--key", key});
  ASSERT_EQ(signed_run.exit_code, 0) << signed_run.err;
  EXPECT_THAT(signed_run.out, StartsWith("checkpoint 3 signed:\nloyalty-checkpoint/1\n"));

  const std::string bundle = Bundle();
  for (const auto& [checkpoint, public_key] :
       std::vector<std::pair<std::string, std::string>>{{"000002", pubkey_}, {"000003", pubkey}}) {
    ToolRun verified =
        Run(LOYALTY_OPENSSL, {"pkeyutl", "-verify", "-pubin", "-inkey", public_key, "-rawin", "-in",
                              bundle + "/checkpoints/" + checkpoint + ".checkpoint", "-sigfile",
                              bundle + "/checkpoints/" + checkpoint + ".sig"});
    EXPECT_EQ(verified.exit_code, 0) << checkpoint << ": " << verified.out << verified.err;
    EXPECT_THAT(verified.out, HasSubstr("Signature Verified Successfully"));
  }
  ToolRun mismatched =
      Run(LOYALTY_OPENSSL, {"pkeyutl", "-verify", "-pubin", "-inkey", pubkey, "-rawin", "-in",
                            bundle + "/checkpoints/000002.checkpoint", "-sigfile",
                            bundle + "/checkpoints/000002.sig"});
  EXPECT_NE(mismatched.exit_code, 0);
}

TEST_F(AuditCliTest, PythonVerifierAgreesWithTheEngine) {
  const std::string bundle = Bundle();
  ToolRun verified = Python({bundle, "--pubkey", pubkey_});
  ASSERT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("checkpoint 1 (sequence 40): signature ok, chain head ok, "
                                      "merkle root ok"));
  EXPECT_THAT(verified.out, HasSubstr("checkpoint 2 (sequence "));
  // The chain head and the Merkle root the verifier recomputes are the
  // ledger's head and the root the engine signed at the head.
  const std::string head_hash = Field(OnLedger({"head"}).out, "hash");
  const std::string record = ReadFile(bundle + "/checkpoints/000002.checkpoint");
  EXPECT_THAT(verified.out,
              HasSubstr(absl::StrCat("events 1..", Head(), ": chain head ", head_hash,
                                     ", merkle root ", Field(record, "merkle_root"))));
  EXPECT_EQ(Field(record, "chain_head"), head_hash);

  // A bundle of a middle range starts from the chain and the tree before it.
  const std::string middle = Bundle({"--from", "41", "--to", "60"});
  ToolRun partial = Python({middle, "--pubkey", pubkey_});
  EXPECT_EQ(partial.exit_code, 0) << partial.out << partial.err;
  EXPECT_THAT(partial.out, HasSubstr("checkpoint 1 (sequence 40): signature ok, chain head ok, "
                                     "merkle root ok"));
}

TEST_F(AuditCliTest, PythonVerifierNamesTheFirstAlteredEventOfABundle) {
  const std::string bundle = Bundle();
  std::vector<std::string> events = SplitDelimited(ReadFile(bundle + "/events.bin"));
  ASSERT_GT(events.size(), 10u);
  auto rewrite = [&](const std::vector<std::string>& records) {
    std::string data;
    for (const std::string& record : records) {
      uint64_t length = record.size();
      while (length >= 0x80) {
        data.push_back(static_cast<char>((length & 0x7f) | 0x80));
        length >>= 7;
      }
      data.push_back(static_cast<char>(length));
      data += record;
    }
    std::filesystem::remove(bundle + "/events.bin");
    WriteFile(bundle + "/events.bin", data);
  };
  // One byte of event 7 changed.
  std::vector<std::string> changed = events;
  changed[6][changed[6].size() - 1] ^= 0x20;
  rewrite(changed);
  ToolRun run = Python({bundle, "--pubkey", pubkey_});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("sequence 7:"));
  // Event 7 removed.
  std::vector<std::string> removed = events;
  removed.erase(removed.begin() + 6);
  rewrite(removed);
  run = Python({bundle, "--pubkey", pubkey_});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("sequence 7:"));
  // Events 7 and 8 swapped.
  std::vector<std::string> swapped = events;
  std::swap(swapped[6], swapped[7]);
  rewrite(swapped);
  run = Python({bundle, "--pubkey", pubkey_});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("sequence 7:"));
}

TEST_F(AuditCliTest, EveryEventDecodesWithProtocFromTheSchemasAlone) {
  const std::vector<std::string> events = ExportedEvents();
  ASSERT_EQ(events.size(), Head());
  std::map<std::string, int> types;
  for (size_t i = 0; i < events.size(); ++i) {
    const std::string path = dir_.Sub("event.bin");
    WriteFile(path, events[i]);
    ToolRun decoded =
        Run(LOYALTY_PROTOC,
            {"--decode=loyalty.v1.Envelope", "-I", kSchemasDir, "loyalty/v1/envelope.proto"}, path);
    ASSERT_EQ(decoded.exit_code, 0) << "sequence " << i + 1 << ": " << decoded.err;
    EXPECT_THAT(decoded.out, HasSubstr(absl::StrCat("sequence: ", i + 1, "\n")));
    // The event's type: the first field inside `event { ... }`.
    const size_t event = decoded.out.find("event {\n  ");
    ASSERT_NE(event, std::string::npos) << decoded.out;
    const size_t name_start = event + 10;
    ++types[decoded.out.substr(name_start, decoded.out.find(' ', name_start) - name_start)];
  }
  EXPECT_GE(types.size(), 4u);
  EXPECT_EQ(types["schema_registered"], 1);

  // The hand-written sample holds other kinds (a complaint among them).
  const std::string sample_db = dir_.Sub("sample-db");
  ToolRun appended =
      Loyalty({"--db", sample_db, "append", LOYALTY_SOURCE_DIR "/tests/data/sample.jsonl"});
  ASSERT_EQ(appended.exit_code, 0) << appended.err;
  ToolRun exported =
      Loyalty({"--db", sample_db, "export", "--format", "binary", "--out", dir_.Sub("sample.bin")});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const std::vector<std::string> sample = SplitDelimited(ReadFile(dir_.Sub("sample.bin")));
  ASSERT_FALSE(sample.empty());
  for (size_t i = 0; i < sample.size(); ++i) {
    WriteFile(dir_.Sub("sample-event.bin"), sample[i]);
    ToolRun decoded =
        Run(LOYALTY_PROTOC,
            {"--decode=loyalty.v1.Envelope", "-I", kSchemasDir, "loyalty/v1/envelope.proto"},
            dir_.Sub("sample-event.bin"));
    ASSERT_EQ(decoded.exit_code, 0) << "sample sequence " << i + 1 << ": " << decoded.err;
    EXPECT_THAT(decoded.out, HasSubstr(absl::StrCat("sequence: ", i + 1, "\n")));
  }

  // The descriptor set the log recorded decodes the events as the bundle
  // carries it.
  const std::string bundle = Bundle();
  std::vector<std::string> recorded;
  for (const auto& entry : std::filesystem::directory_iterator(bundle + "/schemas/recorded")) {
    recorded.push_back(entry.path().string());
  }
  ASSERT_EQ(recorded.size(), 1u);
  ToolRun extracted = Python({bundle, "--extract", "3"});
  ASSERT_EQ(extracted.exit_code, 0) << extracted.err;
  EXPECT_EQ(extracted.out, events[2]);
  WriteFile(dir_.Sub("event3.bin"), extracted.out);
  ToolRun decoded = Run(LOYALTY_PROTOC,
                        {"--decode=loyalty.v1.Envelope", "--descriptor_set_in=" + recorded[0],
                         "loyalty/v1/envelope.proto"},
                        dir_.Sub("event3.bin"));
  EXPECT_EQ(decoded.exit_code, 0) << decoded.err;
  EXPECT_THAT(decoded.out, HasSubstr("sequence: 3\n"));
}

TEST_F(AuditCliTest, InclusionProofsCheckOfflineAndFailWhenOneByteChanges) {
  const std::string proof = dir_.Sub("proof.txt");
  ToolRun proved = OnLedger({"prove", "17", "--out", proof});
  ASSERT_EQ(proved.exit_code, 0) << proved.err;
  const std::string text = ReadFile(proof);
  EXPECT_THAT(text, StartsWith("loyalty-proof/1 inclusion\nsequence 17\n"));
  // Against the latest checkpoint that covers it, by default.
  EXPECT_THAT(text, HasSubstr("\ncheckpoint 2 "));

  ToolRun checked = Loyalty({"check-proof", proof, "--pubkey", pubkey_});
  EXPECT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_THAT(checked.out, StartsWith("ok: sequence 17 is in checkpoint 2"));
  ToolRun python = Python({"--check-proof", proof, "--pubkey", pubkey_});
  EXPECT_EQ(python.exit_code, 0) << python.err;

  // One hexadecimal digit of the path, or one byte of the event, changed.
  std::string altered_path = text;
  const size_t path = altered_path.find("\npath ") + 6;
  altered_path[path] = altered_path[path] == '0' ? '1' : '0';
  WriteFile(dir_.Sub("altered-path.txt"), altered_path);
  std::string altered_event = text;
  const size_t event = altered_event.find("\nevent ") + 7;
  altered_event[event + 4] = altered_event[event + 4] == 'A' ? 'B' : 'A';
  WriteFile(dir_.Sub("altered-event.txt"), altered_event);
  for (const char* name : {"altered-path.txt", "altered-event.txt"}) {
    ToolRun rejected = Loyalty({"check-proof", dir_.Sub(name), "--pubkey", pubkey_});
    EXPECT_EQ(rejected.exit_code, 2) << name << ": " << rejected.err;
    EXPECT_THAT(rejected.err, HasSubstr("sequence 17 in checkpoint 2")) << name;
    ToolRun python_rejected = Python({"--check-proof", dir_.Sub(name), "--pubkey", pubkey_});
    EXPECT_EQ(python_rejected.exit_code, 2) << name << ": " << python_rejected.err;
  }

  // Against checkpoint 1 explicitly, and refused past it.
  ToolRun first = OnLedger({"prove", "17", "--checkpoint", "1"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("tree_size 40\n"));
  EXPECT_EQ(OnLedger({"prove", "41", "--checkpoint", "1"}).exit_code, 1);
}

// A proof whose sequence is outside its tree (docs/audit-format.md, section
// 4: "if s < 1 or s > n: fail") does not hold, for both checkers, with the
// exit code of a failed verification.
TEST_F(AuditCliTest, ProofsOfASequenceOutsideTheTreeDoNotHold) {
  // The last event of a tree of 32: its path runs up the right edge, which
  // is also where the RFC's loop goes for a leaf index of -1 (sequence 0)
  // if nothing stops it first.
  ToolRun signed_run = OnLedger({"checkpoint", "sign", "--key", key_, "--at-seq", "32"});
  ASSERT_EQ(signed_run.exit_code, 0) << signed_run.err;
  const std::string proof = dir_.Sub("proof.txt");
  ToolRun proved = OnLedger({"prove", "32", "--checkpoint", "3", "--out", proof});
  ASSERT_EQ(proved.exit_code, 0) << proved.err;
  const std::string text = ReadFile(proof);
  ASSERT_THAT(text, HasSubstr("\nsequence 32\ntree_size 32\n"));
  for (const char* sequence : {"0", "33"}) {
    std::string altered = text;
    altered.replace(altered.find("\nsequence 32\n"), 13,
                    absl::StrCat("\nsequence ", sequence, "\n"));
    const std::string path = dir_.Sub(absl::StrCat("sequence-", sequence, ".txt"));
    WriteFile(path, altered);
    ToolRun checked = Loyalty({"check-proof", path, "--pubkey", pubkey_});
    EXPECT_EQ(checked.exit_code, 2) << sequence << ": " << checked.out << checked.err;
    EXPECT_THAT(checked.err, HasSubstr(absl::StrCat("sequence ", sequence, " in checkpoint 3")));
    ToolRun python = Python({"--check-proof", path, "--pubkey", pubkey_});
    EXPECT_EQ(python.exit_code, 2) << sequence << ": " << python.out << python.err;
    EXPECT_THAT(python.out, Not(HasSubstr("ok")));
    EXPECT_THAT(python.err, HasSubstr(absl::StrCat("sequence ", sequence, " in checkpoint 3")));
  }
}

// Anyone can chain events and write a manifest: only a checkpoint's
// signature vouches for them. A bundle with none in its range fails,
// unless the auditor says explicitly that chaining is enough.
TEST_F(AuditCliTest, PythonVerifierRefusesABundleWithNothingSigned) {
  const std::string bundle = Bundle();
  std::filesystem::remove_all(bundle + "/checkpoints");
  ToolRun refused = Python({bundle, "--pubkey", pubkey_});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("no checkpoint falls in this bundle's range"));
  EXPECT_THAT(refused.err, HasSubstr("--allow-unsigned"));
  EXPECT_THAT(Lines(refused.out), Not(Contains("ok")));

  ToolRun allowed = Python({bundle, "--pubkey", pubkey_, "--allow-unsigned"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.out << allowed.err;
  EXPECT_THAT(allowed.out, HasSubstr("warning: no checkpoint falls in this bundle's range"));

  // A range that starts right after a checkpoint is vouched for at its
  // start.
  ToolRun from_checkpoint = Python({Bundle({"--from", "41", "--to", "45"}), "--pubkey", pubkey_});
  EXPECT_EQ(from_checkpoint.exit_code, 0) << from_checkpoint.out << from_checkpoint.err;
}

// docs/audit-format.md, section 5, names the projections a checkpoint
// record carries; the records the engine signs carry exactly those.
TEST_F(AuditCliTest, TheDocumentedProjectionsAreThoseOfTheRecords) {
  const std::string doc = ReadFile(LOYALTY_SOURCE_DIR "/docs/audit-format.md");
  const size_t today = doc.find("Today: ");
  ASSERT_NE(today, std::string::npos) << "the list of projections is gone from the document";
  const std::string list = doc.substr(today, doc.find('.', today) - today);
  std::vector<std::string> documented;
  for (size_t open = list.find('`'); open != std::string::npos; open = list.find('`', open + 1)) {
    const size_t close = list.find('`', open + 1);
    ASSERT_NE(close, std::string::npos) << list;
    documented.push_back(list.substr(open + 1, close - open - 1));
    open = close;
  }
  std::vector<std::string> recorded;
  for (const std::string& line :
       Lines(ReadFile(Bundle() + "/checkpoints/000002.checkpoint"))) {
    if (absl::StartsWith(line, "projection ")) {
      recorded.push_back(std::vector<std::string>(absl::StrSplit(line, ' ')).at(1));
    }
  }
  EXPECT_FALSE(recorded.empty());
  EXPECT_EQ(documented, recorded) << list;
}

TEST_F(AuditCliTest, ConsistencyProofsCheckOffline) {
  const std::string proof = dir_.Sub("consistency.txt");
  ToolRun proved = OnLedger({"prove", "--consistency", "1", "2", "--out", proof});
  ASSERT_EQ(proved.exit_code, 0) << proved.err;
  ToolRun checked = Loyalty({"check-proof", proof, "--pubkey", pubkey_});
  EXPECT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_THAT(checked.out, StartsWith("ok: checkpoint 2 ("));
  ToolRun python = Python({"--check-proof", proof, "--pubkey", pubkey_});
  EXPECT_EQ(python.exit_code, 0) << python.err;

  std::string altered = ReadFile(proof);
  const size_t path = altered.find("\npath ") + 10;
  altered[path] = altered[path] == 'f' ? 'e' : 'f';
  WriteFile(dir_.Sub("altered.txt"), altered);
  EXPECT_EQ(Loyalty({"check-proof", dir_.Sub("altered.txt"), "--pubkey", pubkey_}).exit_code, 2);
  EXPECT_EQ(Python({"--check-proof", dir_.Sub("altered.txt"), "--pubkey", pubkey_}).exit_code, 2);
  EXPECT_EQ(OnLedger({"prove", "--consistency", "2", "1"}).exit_code, 1);
}

TEST_F(AuditCliTest, SchemaRecordIsIdempotent) {
  ToolRun again = OnLedger({"schema", "record"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, StartsWith("the schema is already recorded, at sequence "));
  ToolRun list = OnLedger({"schema", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(Lines(list.out).size(), 2u) << list.out;
  EXPECT_THAT(list.out, HasSubstr("(the latest recorded)"));
}

// Tampering with the stored events of a closed ledger through RocksDB's own
// tool. The events family maps the 8-byte big-endian sequence to a value
// that holds the event's canonical bytes (and, depending on the ledger's
// format, its chain hash beside them): the test finds the canonical bytes,
// as `export --format binary` gives them, inside the stored value, so it
// does not depend on what else the value holds.
class TamperTest : public AuditCliTest {
 protected:
  static std::string Key(uint64_t sequence) {
    std::string key(8, '\0');
    for (int i = 0; i < 8; ++i) key[7 - i] = static_cast<char>(sequence >> (8 * i));
    return "0x" + absl::BytesToHexString(key);
  }

  std::string StoredValue(uint64_t sequence) {
    ToolRun run = Run(LOYALTY_LDB, {"--db=" + db_, "--column_family=events", "get", "--key_hex",
                                    "--value_hex", Key(sequence)});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    std::string hex = Lines(run.out).at(0);
    EXPECT_TRUE(absl::StartsWith(hex, "0x")) << hex;
    return absl::HexStringToBytes(hex.substr(2));
  }

  void Put(uint64_t sequence, const std::string& value) {
    ToolRun run =
        Run(LOYALTY_LDB, {"--db=" + db_, "--column_family=events", "put", "--key_hex",
                          "--value_hex", Key(sequence), "0x" + absl::BytesToHexString(value)});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }

  void Delete(uint64_t sequence) {
    ToolRun run = Run(LOYALTY_LDB, {"--db=" + db_, "--column_family=events", "delete", "--key_hex",
                                    Key(sequence)});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }

  // `verify` and `checkpoint verify` both fail with exit code 2, naming
  // `sequence` as the first bad one.
  void ExpectDetectedAt(uint64_t sequence) {
    ToolRun verified = OnLedger({"verify"});
    EXPECT_EQ(verified.exit_code, 2) << verified.out;
    EXPECT_THAT(verified.err, StartsWith(absl::StrCat("loyalty: sequence ", sequence, ":")));
    ToolRun checkpoints = OnLedger({"checkpoint", "verify", "--pubkey", pubkey_});
    EXPECT_EQ(checkpoints.exit_code, 2) << checkpoints.out;
    EXPECT_THAT(checkpoints.err, HasSubstr(absl::StrCat("sequence ", sequence, ":")));
  }

  void SetUp() override {
    AuditCliTest::SetUp();
    events_ = ExportedEvents();
    ASSERT_GT(events_.size(), 10u);
    ASSERT_EQ(OnLedger({"verify"}).exit_code, 0);
  }

  std::vector<std::string> events_;
};

TEST_F(TamperTest, ChangedEventIsNamed) {
  std::string value = StoredValue(5);
  const size_t at = value.find(events_[4]);
  ASSERT_NE(at, std::string::npos) << "the stored value does not hold the canonical bytes";
  // A letter of the event's last string field, made upper or lower case.
  value[at + events_[4].size() - 1] ^= 0x20;
  Put(5, value);
  ExpectDetectedAt(5);
}

TEST_F(TamperTest, RemovedEventIsNamed) {
  Delete(5);
  ExpectDetectedAt(5);
}

TEST_F(TamperTest, ReorderedEventsAreNamed) {
  const std::string fifth = StoredValue(5);
  const std::string sixth = StoredValue(6);
  Put(5, sixth);
  Put(6, fifth);
  ExpectDetectedAt(5);
}

}  // namespace
}  // namespace loyalty
