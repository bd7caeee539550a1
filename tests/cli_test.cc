// The `loyalty` tool, run as a subprocess the way a user runs it.
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/json_lines.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "loyalty/v1/envelope.pb.h"
#include "testing/raw_ledger_db.h"
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
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kSamplePath[] = LOYALTY_TEST_DATA_DIR "/sample.jsonl";
// The events of sample.jsonl, in order. Its line 4 is blank.
constexpr int kSampleEvents = 6;
const std::vector<std::string> kSampleStreams = {"member-M1", "member-M1",    "member-M1",
                                                 "member-M2", "complaint-C1", "member-M1"};

std::string Hex(const std::array<uint8_t, 32>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (uint8_t byte : bytes) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  return hex;
}

std::array<uint8_t, 32> Sha256(const std::string& bytes) {
  std::array<uint8_t, 32> digest{};
  unsigned int length = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr),
            1);
  return digest;
}

class CliTest : public ::testing::Test {
 protected:
  // Runs the tool with `args` in `working_directory` (the temporary
  // directory when empty), its standard input read from `stdin_path`.
  ToolRun Loyalty(const std::vector<std::string>& args, const std::string& stdin_path = "/dev/null",
                  const std::string& working_directory = "") {
    const std::string capture_prefix = dir_.Sub(absl::StrCat("run-", runs_));
    ++runs_;
    return RunTool(LOYALTY_BINARY, args, stdin_path,
                   working_directory.empty() ? dir_.path() : working_directory, capture_prefix);
  }

  // Runs the tool on the test's ledger: `loyalty --db <db_> args...`.
  ToolRun OnLedger(std::vector<std::string> args, const std::string& stdin_path = "/dev/null") {
    args.insert(args.begin(), {"--db", db_});
    return Loyalty(args, stdin_path);
  }

  void AppendSample() {
    ToolRun run = OnLedger({"append", kSamplePath});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }

  // A file in the test's directory holding `content`.
  std::string Input(const std::string& name, const std::string& content) {
    const std::string path = dir_.Sub(name);
    WriteFile(path, content);
    return path;
  }

  // Line `number` (1-based) of sample.jsonl.
  static std::string SampleLine(size_t number) {
    return Lines(ReadFile(kSamplePath)).at(number - 1);
  }

  // The value after `key ` in `head`'s output.
  std::string HeadField(const std::string& key) {
    ToolRun run = OnLedger({"head"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    for (const std::string& line : Lines(run.out)) {
      if (absl::StartsWith(line, key + " ")) return line.substr(key.size() + 1);
    }
    ADD_FAILURE() << "no " << key << " in head's output: " << run.out;
    return "";
  }

  TempDir dir_;
  std::string db_ = dir_.Sub("db");
  int runs_ = 0;
};

std::string SequencesOneTo(int count, const char* suffix = "") {
  std::string text;
  for (int i = 1; i <= count; ++i) absl::StrAppend(&text, i, suffix, "\n");
  return text;
}

TEST_F(CliTest, AppendFromFilePrintsSequences) {
  ToolRun run = OnLedger({"append", kSamplePath});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, SequencesOneTo(kSampleEvents));
  EXPECT_THAT(run.err, IsEmpty());
  EXPECT_EQ(HeadField("sequence"), absl::StrCat(kSampleEvents));
}

TEST_F(CliTest, AppendReadsStandardInput) {
  ToolRun dash = OnLedger({"append", "-"}, kSamplePath);
  EXPECT_EQ(dash.exit_code, 0) << dash.err;
  EXPECT_EQ(dash.out, SequencesOneTo(kSampleEvents));
  ToolRun absent = OnLedger({"append"}, kSamplePath);
  EXPECT_EQ(absent.exit_code, 0) << absent.err;
  EXPECT_EQ(absent.out, SequencesOneTo(kSampleEvents, " (duplicate)"));
}

TEST_F(CliTest, RetriedAppendPrintsTheSameSequencesAsDuplicates) {
  AppendSample();
  const std::string hash = HeadField("hash");
  ToolRun retry = OnLedger({"append", kSamplePath});
  EXPECT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_EQ(retry.out, SequencesOneTo(kSampleEvents, " (duplicate)"));
  EXPECT_EQ(HeadField("sequence"), absl::StrCat(kSampleEvents));
  EXPECT_EQ(HeadField("hash"), hash);
}

TEST_F(CliTest, MalformedLineAppendsNothing) {
  // An empty input creates the ledger and appends nothing.
  ToolRun create = OnLedger({"append", Input("empty.jsonl", "")});
  ASSERT_EQ(create.exit_code, 0) << create.err;
  EXPECT_THAT(create.out, IsEmpty());

  const std::string input =
      Input("bad.jsonl", absl::StrCat(SampleLine(1), "\n", SampleLine(2),
                                      "\n{\"stream_id\": \"member-M9\",\n", SampleLine(3), "\n"));
  ToolRun run = OnLedger({"append", input});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err, StartsWith("loyalty: line 3: "));
  EXPECT_EQ(Lines(run.err).size(), 1u) << run.err;
  EXPECT_EQ(HeadField("sequence"), "0");
}

TEST_F(CliTest, MalformedLineCreatesNoLedger) {
  const std::string input = Input("bad.jsonl", "{\"stream_id\": 7}\n");
  ToolRun run = OnLedger({"append", input});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("line 1: "));
  EXPECT_THAT(run.err, HasSubstr("stream_id"));
  EXPECT_FALSE(std::filesystem::exists(db_));
}

// The input is held whole before anything is appended: past
// kMaxAppendInputBytes it is refused and no ledger is created. (Standard
// input is read by the same loop.)
TEST_F(CliTest, AppendRefusesAnInputPastItsSizeLimit) {
  // Sparse: the size is all that matters, the bytes past the limit are
  // never read.
  const std::string input = dir_.Sub("huge.jsonl");
  WriteFile(input, "");
  std::filesystem::resize_file(input, cli::kMaxAppendInputBytes + 1);
  ToolRun run = OnLedger({"append", input});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(input, ": more than ", cli::kMaxAppendInputBytes,
                                              " bytes, the limit of one input")));
  EXPECT_THAT(run.err, HasSubstr("kMaxAppendInputBytes"));
  EXPECT_THAT(run.err, HasSubstr("nothing was appended"));
  EXPECT_FALSE(std::filesystem::exists(db_));
  // At the limit the input is read, and its one line is refused as a line.
  std::filesystem::resize_file(input, cli::kMaxAppendInputBytes);
  ToolRun at_limit = OnLedger({"append", input});
  EXPECT_EQ(at_limit.exit_code, 1);
  EXPECT_THAT(at_limit.err, HasSubstr("line 1: is "));
  EXPECT_THAT(at_limit.err, HasSubstr("kMaxJsonLineBytes"));
  EXPECT_FALSE(std::filesystem::exists(db_));
}

// A line past kMaxJsonLineBytes is refused with its number, and the lines
// before it are not appended.
TEST_F(CliTest, AppendRefusesALinePastItsSizeLimit) {
  const std::string input = Input(
      "long.jsonl", absl::StrCat(SampleLine(1), "\n", std::string(cli::kMaxJsonLineBytes + 1, ' '),
                                 "{}\n"));
  ToolRun run = OnLedger({"append", input});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err,
              HasSubstr(absl::StrCat("line 2: is ", cli::kMaxJsonLineBytes + 3,
                                     " bytes long, more than the limit of ",
                                     cli::kMaxJsonLineBytes, " bytes a line (kMaxJsonLineBytes)")));
  EXPECT_FALSE(std::filesystem::exists(db_));
}

TEST_F(CliTest, NegativeAmountNamesTheLineAndTheField) {
  std::string sample = ReadFile(kSamplePath);
  const std::string amount = "\"amount_fen\":12800";
  ASSERT_NE(sample.find(amount), std::string::npos);
  sample.replace(sample.find(amount), amount.size(), "\"amount_fen\":-5");
  ToolRun run = OnLedger({"append", Input("negative.jsonl", sample)});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err, StartsWith("loyalty: line 2: "));
  EXPECT_THAT(run.err, HasSubstr("event.purchase_recorded.amount_fen"));
  EXPECT_THAT(run.err, HasSubstr("-5"));
  EXPECT_EQ(HeadField("sequence"), "0");
}

TEST_F(CliTest, RejectedBatchKeepsTheBatchesBeforeIt) {
  // With batches of 2 the sample splits as lines {1} {2,3} {5,6} {7}: line 3
  // is the points grant of line 2's purchase, which no batch ends before,
  // and line 4 is blank. The last batch's event is made invalid.
  std::string sample = ReadFile(kSamplePath);
  const std::string points = "\"points\":100";
  ASSERT_NE(sample.find(points), std::string::npos);
  sample.replace(sample.find(points), points.size(), "\"points\":-100");
  ToolRun run = OnLedger({"append", "--batch-size", "2", Input("late.jsonl", sample)});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, SequencesOneTo(5));
  EXPECT_THAT(Lines(run.err).at(0),
              StartsWith("loyalty: line 7: event.points_redeemed.points: -100"));
  EXPECT_EQ(HeadField("sequence"), "5");
}

TEST_F(CliTest, NoBatchSeparatesAPurchaseFromItsPoints) {
  ToolRun run = OnLedger({"append", "--batch-size", "1", kSamplePath});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, SequencesOneTo(kSampleEvents));
}

TEST_F(CliTest, AppendRefusesAnEventTheEngineWouldNotMake) {
  // The sample's redemption made larger than the balance, and its grant
  // larger than the earning rule gives: the first refusal is reported, and
  // the whole input (one batch) is refused.
  std::string sample = ReadFile(kSamplePath);
  const std::string redeemed = "\"points\":100";
  sample.replace(sample.find(redeemed), redeemed.size(), "\"points\":99999999");
  ToolRun run = OnLedger({"append", Input("overdraft.jsonl", sample)});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_EQ(run.err,
            "loyalty: line 7: points: member \"M1\" requested 99999999 points but has 128 "
            "available\n");
  EXPECT_EQ(HeadField("sequence"), "0");

  const std::string granted = "\"points\":128";
  sample = ReadFile(kSamplePath);
  sample.replace(sample.find(granted), granted.size(), "\"points\":5000");
  run = OnLedger({"append", Input("generous.jsonl", sample)});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, StartsWith("loyalty: line 3: points_granted is not what RecordPurchase "
                                  "decides"));
  EXPECT_THAT(run.err, HasSubstr("points_granted.points: 128 -> 5000"));
  EXPECT_EQ(HeadField("sequence"), "0");
}

// `count` events, one JSON line each: the enrolments of members M0 to M6,
// then purchases of 0.50 CNY each (too little for a point, so one event
// each). The one on line `negative_line` (if any) has a negative amount.
std::string Purchases(int count, int negative_line = 0) {
  std::string text;
  for (int line = 1; line <= count; ++line) {
    if (line <= 7) {
      absl::StrAppend(&text, R"({"stream_id":"member-M)", line - 1,
                      R"(","idempotency_key":"enrol/M)", line - 1,
                      R"(","occurred_at_us":1704067200000000,"actor_id":"desk","event":)",
                      R"({"member_enrolled":{"member_id":"M)", line - 1, "\"}}}\n");
      continue;
    }
    absl::StrAppend(&text, R"({"stream_id":"member-M)", line % 7,
                    R"(","idempotency_key":"purchase/P)", line,
                    R"(","occurred_at_us":1704067200000000,"actor_id":"pos","event":)",
                    R"({"purchase_recorded":{"purchase_id":"P)", line, R"(","member_id":"M)",
                    line % 7, R"(","partner_id":"store-1","amount_fen":)",
                    line == negative_line ? -1 : 50, "}}}\n");
  }
  return text;
}

TEST_F(CliTest, DefaultBatchesHoldAtMostTheLedgerLimit) {
  // 10001 events are two batches: 10000, then 1. The second is rejected.
  ToolRun run = OnLedger({"append", Input("many.jsonl", Purchases(10001, 10001))});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, SequencesOneTo(10000));
  EXPECT_THAT(Lines(run.err),
              ElementsAre(StartsWith("loyalty: line 10001: event.purchase_recorded.amount_fen"),
                          HasSubstr("the 10000 events before line 10001 were appended")));
  EXPECT_EQ(HeadField("sequence"), "10000");
}

TEST_F(CliTest, BatchSizeOutsideTheLimitIsRejected) {
  for (const char* size : {"0", "10001"}) {
    ToolRun run = OnLedger({"append", "--batch-size", size, kSamplePath});
    EXPECT_EQ(run.exit_code, 1) << size;
    EXPECT_THAT(run.err, HasSubstr("--batch-size")) << size;
  }
  EXPECT_FALSE(std::filesystem::exists(db_));
}

TEST_F(CliTest, ExportedJsonLinesParseBackWithTheSameSequences) {
  AppendSample();
  ToolRun run = OnLedger({"export"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kSampleEvents));
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_THAT(lines[i], HasSubstr("\"stream_id\""));  // the .proto names
    v1::Envelope envelope;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &envelope).ok()) << lines[i];
    EXPECT_EQ(envelope.sequence(), i + 1);
    EXPECT_EQ(envelope.stream_id(), kSampleStreams[i]);
  }
}

TEST_F(CliTest, ExportedJsonLinesCannotBeAppendedAsTheyAre) {
  AppendSample();
  ToolRun exported = OnLedger({"export"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  ToolRun run = Loyalty({"--db", dir_.Sub("fresh"), "append", Input("export.jsonl", exported.out)});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, StartsWith("loyalty: line 1: sequence: 1 is assigned by the ledger"));
}

TEST_F(CliTest, ExportWritesARangeToAFileAndLeavesNoPartialFile) {
  AppendSample();
  const std::string out = dir_.Sub("range.jsonl");
  ToolRun run = OnLedger({"export", "--from", "2", "--to", "3", "--out", out});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, IsEmpty());
  const std::vector<std::string> lines = Lines(ReadFile(out));
  ASSERT_EQ(lines.size(), 2u);
  for (size_t i = 0; i < lines.size(); ++i) {
    v1::Envelope envelope;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &envelope).ok());
    EXPECT_EQ(envelope.sequence(), i + 2);
  }
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));
}

TEST_F(CliTest, BinaryExportRecomputesTheHeadHash) {
  AppendSample();
  const std::string out = dir_.Sub("events.bin");
  ToolRun run = OnLedger({"export", "--format", "binary", "--out", out});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string bytes = ReadFile(out);

  // The raw records: varint length, then the stored bytes.
  std::array<uint8_t, 32> hash{};
  int records = 0;
  {
    google::protobuf::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
    google::protobuf::io::CodedInputStream input(&stream);
    uint32_t length = 0;
    while (input.ReadVarint32(&length)) {
      std::string record;
      ASSERT_TRUE(input.ReadString(&record, static_cast<int>(length)));
      v1::Envelope envelope;
      ASSERT_TRUE(envelope.ParseFromString(record));
      EXPECT_EQ(envelope.sequence(), static_cast<uint64_t>(records + 1));
      EXPECT_EQ(envelope.previous_hash(), std::string(hash.begin(), hash.end()));
      hash = Sha256(std::string(hash.begin(), hash.end()) + record);
      ++records;
    }
    EXPECT_EQ(input.CurrentPosition(), static_cast<int>(bytes.size()));
  }
  EXPECT_EQ(records, kSampleEvents);
  EXPECT_EQ(Hex(hash), HeadField("hash"));

  // The standard reader of length-delimited messages reads it too.
  google::protobuf::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  std::vector<std::string> streams;
  v1::Envelope envelope;
  bool clean_eof = false;
  while (google::protobuf::util::ParseDelimitedFromZeroCopyStream(&envelope, &stream, &clean_eof)) {
    streams.push_back(envelope.stream_id());
  }
  EXPECT_TRUE(clean_eof);
  EXPECT_EQ(streams, kSampleStreams);
}

TEST_F(CliTest, HeadPrintsSequenceHashAndTime) {
  AppendSample();
  ToolRun run = OnLedger({"head"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(std::regex_match(
      run.out, std::regex("sequence 6\nhash [0-9a-f]{64}\n"
                          "recorded_at [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                          "\\.[0-9]{6}Z\n")))
      << run.out;

  ToolRun json = OnLedger({"head", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(Lines(json.out).size(), 1u);
  EXPECT_THAT(json.out, StartsWith("{\"sequence\":6,"));
  EXPECT_THAT(json.out, HasSubstr(absl::StrCat("\"hash\":\"", HeadField("hash"), "\"")));
  EXPECT_THAT(json.out,
              HasSubstr(absl::StrCat("\"recorded_at\":\"", HeadField("recorded_at"), "\"")));
}

TEST_F(CliTest, HeadOfAnEmptyLedgerIsSequenceZeroWithAZeroHash) {
  ASSERT_EQ(OnLedger({"append", Input("empty.jsonl", "\n")}).exit_code, 0);
  ToolRun run = OnLedger({"head"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            absl::StrCat("sequence 0\nhash ", std::string(64, '0'), "\nrecorded_at none\n"));
}

TEST_F(CliTest, VerifyPassesOnAGoodLedger) {
  AppendSample();
  ToolRun run = OnLedger({"verify"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  // The sample keeps every rule of the domain: no anomaly.
  EXPECT_EQ(run.out, absl::StrCat("ok: verified sequences 1..6, head ", HeadField("hash"),
                                  "\nanomalies: 0 (see `loyalty anomalies`)\n"));
  ToolRun range = OnLedger({"verify", "--from", "2", "--to", "4"});
  EXPECT_EQ(range.exit_code, 0) << range.err;
  EXPECT_THAT(range.out, StartsWith("ok: verified sequences 2..4, head "));
}

TEST_F(CliTest, VerifyFindsACorruptedEvent) {
  AppendSample();
  {
    // The tool has exited: open its RocksDB directly and flip a byte of
    // event 3 (its value is the canonical bytes, then the 32-byte chain hash).
    ::loyalty::testing::RawLedgerDb raw(db_);
    std::string value = raw.Get(3);
    ASSERT_GT(value.size(), 32u + 3u);
    value[value.size() - 32 - 3] ^= 0x01;
    raw.Put(3, value);
  }
  ToolRun run = OnLedger({"verify"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err, StartsWith("loyalty: sequence 3"));
  // The events before it still verify.
  EXPECT_EQ(OnLedger({"verify", "--to", "2"}).exit_code, 0);
}

TEST_F(CliTest, StreamListsOnlyThatStream) {
  AppendSample();
  ToolRun run = OnLedger({"stream", "member-M1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            "1 1 member_enrolled 2024-01-01T00:00:00.000000Z\n"
            "2 2 purchase_recorded 2024-01-01T09:06:40.000000Z\n"
            "3 3 points_granted 2024-01-01T09:06:40.000000Z\n"
            "6 4 points_redeemed 2024-01-03T00:00:00.000000Z\n");

  ToolRun later = OnLedger({"stream", "member-M1", "--from-version", "3"});
  ASSERT_EQ(later.exit_code, 0) << later.err;
  EXPECT_THAT(Lines(later.out), ElementsAre(StartsWith("3 3 "), StartsWith("6 4 ")));

  ToolRun json = OnLedger({"stream", "complaint-C1", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const std::vector<std::string> lines = Lines(json.out);
  ASSERT_EQ(lines.size(), 1u);
  v1::Envelope envelope;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[0], &envelope).ok());
  EXPECT_EQ(envelope.sequence(), 5u);
  EXPECT_EQ(envelope.event().complaint_filed().complaint_id(), "C1");

  ToolRun none = OnLedger({"stream", "member-M404"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_THAT(none.out, IsEmpty());
}

TEST_F(CliTest, UnknownCommandFails) {
  ToolRun run = OnLedger({"frobnicate"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err, HasSubstr("unknown command \"frobnicate\""));
}

TEST_F(CliTest, UnknownFlagFails) {
  AppendSample();
  ToolRun run = OnLedger({"export", "--form", "binary"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err, HasSubstr("unknown flag --form"));
  ToolRun global = Loyalty({"--verbose", "head"});
  EXPECT_EQ(global.exit_code, 1);
  EXPECT_THAT(global.err, HasSubstr("unknown flag --verbose"));
}

TEST_F(CliTest, ReadingCommandsOnAMissingDirectoryFailWithoutCreatingIt) {
  const std::string missing = dir_.Sub("missing");
  for (std::vector<std::string> command : std::vector<std::vector<std::string>>{
           {"head"}, {"export"}, {"verify"}, {"stream", "member-M1"}}) {
    command.insert(command.begin(), {"--db", missing});
    ToolRun run = Loyalty(command);
    EXPECT_EQ(run.exit_code, 1) << command[2];
    EXPECT_THAT(run.out, IsEmpty()) << command[2];
    EXPECT_THAT(run.err, HasSubstr(absl::StrCat("no ledger at ", missing))) << command[2];
    EXPECT_FALSE(std::filesystem::exists(missing)) << command[2];
  }
}

TEST_F(CliTest, DefaultDirectoryIsLoyaltyDataInTheWorkingDirectory) {
  ToolRun run = Loyalty({"append", kSamplePath});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(std::filesystem::is_directory(dir_.Sub("loyalty-data")));
  // --db may also follow the command.
  EXPECT_EQ(Loyalty({"head", "--db", dir_.Sub("loyalty-data")}).exit_code, 0);
}

TEST_F(CliTest, HelpListsEveryCommand) {
  for (const char* form : {"help", "--help"}) {
    ToolRun run = Loyalty({form});
    EXPECT_EQ(run.exit_code, 0) << form;
    for (const char* command : {"append", "export", "head", "verify", "stream", "help"}) {
      EXPECT_THAT(run.out, HasSubstr(absl::StrCat("\n  ", command, " "))) << form;
    }
  }
  ToolRun bare = Loyalty({});
  EXPECT_EQ(bare.exit_code, 1);
  EXPECT_THAT(bare.out, IsEmpty());
  EXPECT_THAT(bare.err, HasSubstr("usage: loyalty"));

  ToolRun export_help = Loyalty({"help", "export"});
  EXPECT_EQ(export_help.exit_code, 0);
  EXPECT_THAT(export_help.out, HasSubstr("--format jsonl|binary"));
  EXPECT_EQ(Loyalty({"export", "--help"}).out, export_help.out);
}

// docs/cli.md is the tool's guide: every command of `loyalty help` has a
// section there (a heading naming it), and every flag of `loyalty help
// COMMAND` is described in it.
TEST_F(CliTest, TheGuideDescribesEveryCommandAndFlag) {
  const std::string guide = ReadFile(LOYALTY_TEST_DATA_DIR "/../../docs/cli.md");
  ASSERT_FALSE(guide.empty());
  std::vector<std::string> headings;
  for (const std::string& line : Lines(guide)) {
    if (absl::StartsWith(line, "## ")) headings.push_back(absl::StrCat(line, " "));
  }
  ToolRun list = Loyalty({"help"});
  ASSERT_EQ(list.exit_code, 0);
  std::vector<std::string> commands;
  bool in_commands = false;
  for (const std::string& line : Lines(list.out)) {
    if (line == "commands:") {
      in_commands = true;
    } else if (in_commands && absl::StartsWith(line, "  ")) {
      commands.push_back(std::vector<std::string>(absl::StrSplit(line.substr(2), ' ')).at(0));
    } else if (in_commands) {
      break;
    }
  }
  ASSERT_GE(commands.size(), 20u) << list.out;
  for (const std::string& command : commands) {
    bool has_section = false;
    for (const std::string& heading : headings) {
      has_section = has_section || absl::StrContains(heading, absl::StrCat(" ", command, " "));
    }
    EXPECT_TRUE(has_section) << "docs/cli.md has no section for `" << command << "`";
    ToolRun help = Loyalty({"help", command});
    ASSERT_EQ(help.exit_code, 0) << command;
    for (const std::string& line : Lines(help.out)) {
      if (!absl::StartsWith(line, "  --")) continue;
      const std::string flag = std::vector<std::string>(absl::StrSplit(line.substr(2), ' ')).at(0);
      EXPECT_THAT(guide, HasSubstr(flag)) << "docs/cli.md does not describe " << command << " "
                                          << flag;
    }
  }
}

}  // namespace
}  // namespace loyalty
