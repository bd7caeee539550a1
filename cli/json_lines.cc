#include "cli/json_lines.h"


#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "google/protobuf/stubs/stringpiece.h"
#include "google/protobuf/util/json_util.h"

#include "util/check.h"

namespace loyalty::cli {
namespace {

absl::Status LineError(size_t line_number, absl::string_view problem) {
  // The parser's messages may span lines; an error stays on one.
  const std::string one_line = absl::StrReplaceAll(problem, {{"\r", " "}, {"\n", " "}});
  return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", one_line));
}

absl::Status ParseLine(absl::string_view line, size_t line_number, v1::Envelope* envelope) {
  if (line.size() > kMaxJsonLineBytes) {
    return LineError(line_number,
                     absl::StrCat("is ", line.size(), " bytes long, more than the limit of ",
                                  kMaxJsonLineBytes, " bytes a line (kMaxJsonLineBytes)"));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a misspelt field must not vanish silently
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(line.data(), line.size()), envelope, options);
  if (!status.ok()) {
    // The parser's first line says what is wrong; the next two quote the
    // input and point at the spot, which the line number already locates.
    const std::string message(status.message().data(), status.message().size());
    absl::string_view first_line = message;
    first_line = absl::StripAsciiWhitespace(first_line.substr(0, first_line.find('\n')));
    return LineError(line_number, absl::StrCat("not a valid Envelope in JSON: ", first_line));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<NumberedEnvelope>> ParseJsonLines(absl::string_view input) {
  std::vector<NumberedEnvelope> parsed;
  size_t line_number = 0;
  while (!input.empty()) {
    ++line_number;
    const size_t end = input.find('\n');
    absl::string_view line = input.substr(0, end);
    input = end == absl::string_view::npos ? absl::string_view() : input.substr(end + 1);
    absl::ConsumeSuffix(&line, "\r");
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    NumberedEnvelope numbered;
    numbered.line_number = line_number;
    absl::Status status = ParseLine(line, line_number, &numbered.envelope);
    if (!status.ok()) return status;
    parsed.push_back(std::move(numbered));
  }
  return parsed;
}

std::string AttributeToLine(absl::string_view ledger_message,
                            absl::Span<const NumberedEnvelope> batch) {
  LOYALTY_CHECK(!batch.empty());
  absl::string_view rest = ledger_message;
  if (absl::ConsumePrefix(&rest, "event ")) {
    const size_t colon = rest.find(": ");
    size_t index = 0;
    if (colon != absl::string_view::npos && absl::SimpleAtoi(rest.substr(0, colon), &index) &&
        index < batch.size()) {
      return absl::StrCat("line ", batch[index].line_number, ": ", rest.substr(colon + 2));
    }
  }
  return absl::StrCat("line ", batch.front().line_number, ": ", ledger_message);
}

}  // namespace loyalty::cli
