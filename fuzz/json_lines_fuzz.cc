// libFuzzer target: the JSON Lines reader of `loyalty append`
// (cli/json_lines.h). Any bytes must give envelopes or a one-line error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "cli/json_lines.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = loyalty::cli::ParseJsonLines(input);
  if (!parsed.ok()) {
    // The contract: InvalidArgument "line N: ..." on one line.
    if (parsed.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    if (!absl::StartsWith(parsed.status().message(), "line ")) std::abort();
    if (absl::StrContains(parsed.status().message(), "\n")) std::abort();
    return 0;
  }
  size_t previous_line = 0;
  for (const loyalty::cli::NumberedEnvelope& numbered : *parsed) {
    if (numbered.line_number <= previous_line) std::abort();  // in input order
    previous_line = numbered.line_number;
  }
  if (!parsed->empty()) {
    // Attributing a ledger message must name one of the batch's lines.
    const std::string attributed = loyalty::cli::AttributeToLine("event 0: bad", *parsed);
    if (!absl::StartsWith(attributed, "line ")) std::abort();
  }
  return 0;
}
