#include "text/display_width.h"

#include "gtest/gtest.h"

namespace loyalty::text {
namespace {

TEST(DisplayWidthTest, AsciiIsOneColumnPerByte) {
  EXPECT_EQ(DisplayWidth(""), 0u);
  EXPECT_EQ(DisplayWidth("store-7"), 7u);
}

TEST(DisplayWidthTest, ChineseIsTwoColumnsPerCharacter) {
  EXPECT_EQ(DisplayWidth("万达店"), 6u);
  EXPECT_EQ(DisplayWidth("会员001"), 7u);
  // Fullwidth forms and CJK punctuation too.
  EXPECT_EQ(DisplayWidth("（店）"), 6u);
  EXPECT_EQ(DisplayWidth("。"), 2u);
}

TEST(DisplayWidthTest, CombiningMarksTakeNoColumnInvalidBytesOneAndEmojiTwo) {
  EXPECT_EQ(DisplayWidth("Café"), 4u);
  EXPECT_EQ(DisplayWidth("Cafe\xcc\x81"), 4u);  // e + a combining acute accent
  EXPECT_EQ(DisplayWidth("\xff\xfe"), 2u);
  EXPECT_EQ(DisplayWidth("😀"), 2u);
}

}  // namespace
}  // namespace loyalty::text
