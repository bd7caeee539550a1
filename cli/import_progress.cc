#include "cli/import_progress.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace loyalty::cli {

ImportProgress::ImportProgress(size_t total_rows, bool redraw, std::function<absl::Time()> now,
                               std::function<void(absl::string_view)> write)
    : total_rows_(total_rows),
      redraw_(redraw),
      now_(std::move(now)),
      write_(std::move(write)),
      started_(now_()) {}

std::string ImportProgress::Line(size_t done_rows) const {
  const uint64_t percent = total_rows_ == 0 ? 100 : uint64_t{done_rows} * 100 / total_rows_;
  return absl::StrCat("\rimporting: ", done_rows, " of ", total_rows_, " rows (", percent, "%)");
}

void ImportProgress::Update(size_t done_rows) {
  if (!redraw_) return;
  const absl::Time now = now_();
  if (done_rows < total_rows_ && now - drawn_at_ < kRedrawInterval) return;
  drawn_at_ = now;
  drawn_ = true;
  write_(Line(done_rows));
}

void ImportProgress::Finish(size_t done_rows) {
  std::string text;
  if (drawn_) absl::StrAppend(&text, Line(done_rows), "\n");
  absl::StrAppend(&text, "import: ", done_rows, " rows in ", RateText(done_rows, now_() - started_),
                  "\n");
  write_(text);
}

std::string RateText(size_t rows, absl::Duration elapsed) {
  const int64_t elapsed_us = std::max<int64_t>(1, absl::ToInt64Microseconds(elapsed));
  const int64_t centiseconds = elapsed_us / 10000;
  const int64_t rows_per_second =
      static_cast<int64_t>(static_cast<__int128>(rows) * 1000000 / elapsed_us);
  return absl::StrFormat("%d.%02d s (%d rows/s)", centiseconds / 100, centiseconds % 100,
                         rows_per_second);
}

}  // namespace loyalty::cli
