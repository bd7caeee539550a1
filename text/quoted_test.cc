#include "text/quoted.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace loyalty::text {
namespace {

TEST(QuotedTest, ValidUtf8IsShownAsItIs) {
  EXPECT_EQ(Quoted("会员001"), "\"会员001\"");
  EXPECT_EQ(Quoted("万达店"), "\"万达店\"");
  EXPECT_EQ(Quoted("Café 😀"), "\"Café 😀\"");
  EXPECT_EQ(Escaped("春节 holiday"), "春节 holiday");
  // What absl::CHexEscape, which this replaces, makes of it.
  EXPECT_NE(Quoted("会员001"), absl::StrCat("\"", absl::CHexEscape("会员001"), "\""));
}

TEST(QuotedTest, ControlCharactersQuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(Quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Quoted("line\nnext\r\ttab"), R"("line\nnext\r\ttab")");
  EXPECT_EQ(Quoted(std::string("nul\0bell\a\x1b[2J\x7f", 14)), R"("nul\x00bell\x07\x1b[2J\x7f")");
  // U+0085 (NEL) and U+009B (CSI) are C1 controls.
  EXPECT_EQ(Quoted("a\xc2\x85" "b\xc2\x9b"), R"("a\xc2\x85b\xc2\x9b")");
  // U+00A0 and after are text.
  EXPECT_EQ(Quoted("\xc2\xa0"), "\"\xc2\xa0\"");
}

TEST(QuotedTest, InvalidBytesAreEscapedOneByOne) {
  EXPECT_EQ(Quoted("\xff"), R"("\xff")");
  // A truncated sequence, a stray continuation byte, an over-long '/', a
  // surrogate (U+D800) and a code point past U+10FFFF.
  EXPECT_EQ(Quoted("\xe4\xbc"), R"("\xe4\xbc")");
  EXPECT_EQ(Quoted("\x80"), R"("\x80")");
  EXPECT_EQ(Quoted("\xc0\xaf"), R"("\xc0\xaf")");
  EXPECT_EQ(Quoted("\xed\xa0\x80"), R"("\xed\xa0\x80")");
  EXPECT_EQ(Quoted("\xf4\x90\x80\x80"), R"("\xf4\x90\x80\x80")");
  // Valid characters around an invalid byte stay as they are.
  EXPECT_EQ(Quoted("会\xff员"), "\"会\\xff员\"");
}

TEST(QuotedTest, LongValuesAreCutAtAWholeCharacter) {
  EXPECT_EQ(Quoted(std::string(100, 'a')), "\"" + std::string(80, 'a') + "...\"");
  EXPECT_EQ(Quoted(std::string(80, 'a')), "\"" + std::string(80, 'a') + "\"");
  // 27 characters of 3 bytes are 81 bytes: 26 fit in 80.
  std::string chinese;
  for (int i = 0; i < 27; ++i) chinese += "会";
  EXPECT_EQ(Quoted(chinese), "\"" + chinese.substr(0, 78) + "...\"");
  EXPECT_EQ(Quoted("会员", 4), "\"会...\"");
  EXPECT_EQ(Quoted("", 4), "\"\"");
}

TEST(QuotedTest, Utf8SequenceLength) {
  EXPECT_EQ(Utf8SequenceLength(""), 0u);
  EXPECT_EQ(Utf8SequenceLength("a"), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xc3\xa9"), 2u);
  EXPECT_EQ(Utf8SequenceLength("会员"), 3u);
  EXPECT_EQ(Utf8SequenceLength("😀"), 4u);
  EXPECT_EQ(Utf8SequenceLength("\xe0\x80\x80"), 0u);  // over-long
  EXPECT_EQ(Utf8SequenceLength("\xf5\x80\x80\x80"), 0u);
}

}  // namespace
}  // namespace loyalty::text
