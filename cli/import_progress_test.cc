#include "cli/import_progress.h"

#include <string>

#include "gtest/gtest.h"

namespace loyalty::cli {
namespace {

class ImportProgressTest : public ::testing::Test {
 protected:
  ImportProgress Make(size_t total, bool redraw) {
    return ImportProgress(
        total, redraw, [this] { return now_; },
        [this](absl::string_view text) { written_.append(text.data(), text.size()); });
  }

  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  std::string written_;
};

TEST_F(ImportProgressTest, OnATerminalRedrawsAtMostEveryIntervalThenTheRate) {
  ImportProgress progress = Make(1000, /*redraw=*/true);
  progress.Update(1);
  EXPECT_EQ(written_, "\rimporting: 1 of 1000 rows (0%)");
  now_ += absl::Milliseconds(100);
  progress.Update(2);  // too soon
  EXPECT_EQ(written_, "\rimporting: 1 of 1000 rows (0%)");
  now_ += absl::Milliseconds(150);
  progress.Update(240);
  EXPECT_EQ(written_, "\rimporting: 1 of 1000 rows (0%)\rimporting: 240 of 1000 rows (24%)");
  written_.clear();
  now_ += absl::Milliseconds(10);
  progress.Update(1000);  // the last row is always drawn
  EXPECT_EQ(written_, "\rimporting: 1000 of 1000 rows (100%)");
  written_.clear();
  now_ += absl::Milliseconds(1740);
  progress.Finish(1000);
  EXPECT_EQ(written_,
            "\rimporting: 1000 of 1000 rows (100%)\nimport: 1000 rows in 2.00 s (500 rows/s)\n");
}

TEST_F(ImportProgressTest, ElsewhereOnlyTheRateIsWritten) {
  ImportProgress progress = Make(3, /*redraw=*/false);
  progress.Update(1);
  progress.Update(3);
  EXPECT_EQ(written_, "");
  now_ += absl::Milliseconds(1500);
  progress.Finish(3);
  EXPECT_EQ(written_, "import: 3 rows in 1.50 s (2 rows/s)\n");
}

TEST(RateTextTest, TheRateIsComputedInIntegers) {
  EXPECT_EQ(RateText(406, absl::Seconds(1)), "1.00 s (406 rows/s)");
  EXPECT_EQ(RateText(5000, absl::Milliseconds(12300)), "12.30 s (406 rows/s)");
  EXPECT_EQ(RateText(5, absl::ZeroDuration()), "0.00 s (5000000 rows/s)");
  EXPECT_EQ(RateText(0, absl::Seconds(3)), "3.00 s (0 rows/s)");
}

}  // namespace
}  // namespace loyalty::cli
