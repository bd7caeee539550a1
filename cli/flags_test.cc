#include "cli/flags.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class FlagSetTest : public ::testing::Test {
 protected:
  FlagSetTest() {
    flags_.String("out", "FILE", "where to write", &out_);
    flags_.Uint64("from", "N", "first sequence", &from_);
    flags_.Bool("json", "print JSON", &json_);
  }

  absl::StatusOr<std::vector<std::string>> Parse(std::vector<std::string> args,
                                                 bool stop_at_positional = false) {
    return flags_.Parse(args, stop_at_positional);
  }

  FlagSet flags_;
  std::string out_ = "-";
  uint64_t from_ = 1;
  bool json_ = false;
};

TEST_F(FlagSetTest, DefaultsStayWhenNoFlagIsGiven) {
  auto positional = Parse({"a", "b"});
  ASSERT_TRUE(positional.ok()) << positional.status();
  EXPECT_THAT(*positional, ElementsAre("a", "b"));
  EXPECT_EQ(out_, "-");
  EXPECT_EQ(from_, 1u);
  EXPECT_FALSE(json_);
  EXPECT_FALSE(flags_.WasSet("from"));
}

TEST_F(FlagSetTest, ValuesSeparateOrInline) {
  auto positional = Parse({"--out", "x.bin", "--from=42", "--json", "stream-1"});
  ASSERT_TRUE(positional.ok()) << positional.status();
  EXPECT_THAT(*positional, ElementsAre("stream-1"));
  EXPECT_EQ(out_, "x.bin");
  EXPECT_EQ(from_, 42u);
  EXPECT_TRUE(json_);
  EXPECT_TRUE(flags_.WasSet("from"));
}

TEST_F(FlagSetTest, BoolTakesExplicitValue) {
  json_ = true;
  ASSERT_TRUE(Parse({"--json=false"}).ok());
  EXPECT_FALSE(json_);
}

TEST_F(FlagSetTest, BoolRejectsOtherValues) {
  auto result = Parse({"--json=yes"});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("flag --json"));
}

TEST_F(FlagSetTest, UnknownFlagIsNamed) {
  auto result = Parse({"--form", "3"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("unknown flag --form"));
}

TEST_F(FlagSetTest, ShortFormsAreUnknown) {
  auto result = Parse({"-x"});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("unknown flag -x"));
}

TEST_F(FlagSetTest, CountsAreDigitsOnly) {
  for (const char* bad : {"-1", "+1", " 1", "1x", "", "18446744073709551616"}) {
    FlagSet flags;
    uint64_t value = 0;
    flags.Uint64("from", "N", "", &value);
    auto result = flags.Parse(std::vector<std::string>{"--from", bad});
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_THAT(std::string(result.status().message()), HasSubstr("flag --from")) << bad;
  }
}

TEST_F(FlagSetTest, MissingValueIsNamed) {
  auto result = Parse({"--from"});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("--from needs a value"));
}

TEST_F(FlagSetTest, FlagGivenTwiceIsRejected) {
  auto result = Parse({"--from", "1", "--from", "2"});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("--from is given twice"));
}

TEST_F(FlagSetTest, DashIsPositionalAndDoubleDashEndsFlags) {
  auto positional = Parse({"-", "--", "--json"});
  ASSERT_TRUE(positional.ok()) << positional.status();
  EXPECT_THAT(*positional, ElementsAre("-", "--json"));
  EXPECT_FALSE(json_);
}

TEST_F(FlagSetTest, StopAtPositionalLeavesTheRestUnparsed) {
  auto rest = Parse({"--out", "o", "export", "--bogus"}, /*stop_at_positional=*/true);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_THAT(*rest, ElementsAre("export", "--bogus"));
  EXPECT_EQ(out_, "o");
}

TEST_F(FlagSetTest, HelpIsAlwaysUnderstood) {
  auto positional = Parse({"--help", "--bogus"});
  ASSERT_TRUE(positional.ok());
  EXPECT_THAT(*positional, IsEmpty());
  EXPECT_TRUE(flags_.help_requested());
}

TEST_F(FlagSetTest, UsageListsEveryFlag) {
  const std::string usage = flags_.Usage();
  EXPECT_THAT(usage, HasSubstr("--out FILE"));
  EXPECT_THAT(usage, HasSubstr("--from N"));
  EXPECT_THAT(usage, HasSubstr("--json"));
  EXPECT_THAT(usage, HasSubstr("where to write"));
}

}  // namespace
}  // namespace loyalty::cli
