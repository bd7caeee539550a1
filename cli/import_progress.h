// What `loyalty import purchases` says on standard error while it works: a
// progress line redrawn in place when standard error is a terminal, and at
// the end the rate. Standard output is left to the summary, so that it stays
// parseable. The clock is the caller's (wall time: this measures the
// machine, not the business).
#ifndef LOYALTY_CLI_IMPORT_PROGRESS_H_
#define LOYALTY_CLI_IMPORT_PROGRESS_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::cli {

class ImportProgress {
 public:
  // `write` receives the text for standard error; `now` is the wall clock.
  // With `redraw` (standard error is a terminal) Update draws
  //   "\rimporting: 1200 of 5000 rows (24%)"
  // at most every kRedrawInterval and when the last row is done.
  ImportProgress(size_t total_rows, bool redraw, std::function<absl::Time()> now,
                 std::function<void(absl::string_view)> write);

  // `done_rows` of the total are done.
  void Update(size_t done_rows);

  // Ends the progress line (if drawn) and writes the rate:
  //   "import: 5000 rows in 12.30 s (406 rows/s)\n"
  void Finish(size_t done_rows);

  static constexpr absl::Duration kRedrawInterval = absl::Milliseconds(200);

 private:
  std::string Line(size_t done_rows) const;

  size_t total_rows_;
  bool redraw_;
  std::function<absl::Time()> now_;
  std::function<void(absl::string_view)> write_;
  absl::Time started_;
  absl::Time drawn_at_ = absl::InfinitePast();
  bool drawn_ = false;
};

// "12.30 s (406 rows/s)" for `rows` in `elapsed`: integer arithmetic, the
// rate rounded down; an elapsed time under a microsecond counts as one.
std::string RateText(size_t rows, absl::Duration elapsed);

}  // namespace loyalty::cli

#endif  // LOYALTY_CLI_IMPORT_PROGRESS_H_
