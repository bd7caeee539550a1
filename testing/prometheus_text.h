// A strict reader of the Prometheus text exposition format, for tests: every
// line is a comment (# HELP / # TYPE) or a sample `name{labels} value`;
// every sample belongs to a metric declared by a # TYPE line before it;
// histogram buckets are cumulative, end with le="+Inf" and that equals
// _count. Returns the samples by "name{labels}" or the first error.
#ifndef LOYALTY_TESTING_PROMETHEUS_TEXT_H_
#define LOYALTY_TESTING_PROMETHEUS_TEXT_H_

#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace loyalty::testing {

// "name{labels}" (or "name") -> value.
using PrometheusSamples = std::map<std::string, double>;

inline absl::StatusOr<PrometheusSamples> ParsePrometheusText(const std::string& text) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*)");
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})? (-?[0-9]+(\.[0-9]+)?|\+Inf))");
  static const std::regex kLe(R"re(le="([^"]*)")re");
  if (text.empty() || text.back() != '\n') {
    return absl::InvalidArgumentError("the text does not end with a newline");
  }
  PrometheusSamples samples;
  std::map<std::string, std::string> types;  // metric -> type
  std::set<std::string> helped;
  // Histogram state: the metric whose buckets are being read.
  std::string histogram;
  double last_bucket = -1;
  double last_le = -1;
  bool saw_inf = false;
  double inf_count = -1;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    const std::string where = absl::StrCat("line ", number, " \"", line, "\": ");
    std::smatch match;
    if (std::regex_match(line, match, kHelp)) {
      if (!helped.insert(match[1]).second) return absl::InvalidArgumentError(where + "second HELP");
      continue;
    }
    if (std::regex_match(line, match, kType)) {
      if (!helped.count(match[1])) return absl::InvalidArgumentError(where + "TYPE before HELP");
      if (types.count(match[1])) return absl::InvalidArgumentError(where + "second TYPE");
      types[match[1]] = match[2];
      histogram = match[2] == "histogram" ? std::string(match[1]) : "";
      last_bucket = last_le = -1;
      saw_inf = false;
      continue;
    }
    if (!std::regex_match(line, match, kSample)) {
      return absl::InvalidArgumentError(where + "neither a comment nor a sample");
    }
    const std::string name = match[1];
    const std::string labels = match[2];
    const double value = match[5] == "+Inf" ? 1e308 : std::strtod(match[5].str().c_str(), nullptr);
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (!histogram.empty() && name == histogram + suffix) family = histogram;
    }
    if (!types.count(family)) return absl::InvalidArgumentError(where + "no TYPE for " + family);
    if (types[family] == "histogram" && family == name) {
      return absl::InvalidArgumentError(where + "a histogram sample without a suffix");
    }
    if (absl::EndsWith(name, "_bucket") && family == histogram) {
      std::smatch le;
      if (!std::regex_search(labels, le, kLe)) return absl::InvalidArgumentError(where + "no le");
      if (saw_inf) return absl::InvalidArgumentError(where + "a bucket after +Inf");
      const double bound = le[1] == "+Inf" ? 1e308 : std::strtod(le[1].str().c_str(), nullptr);
      if (bound <= last_le) return absl::InvalidArgumentError(where + "le not ascending");
      if (value < last_bucket) return absl::InvalidArgumentError(where + "buckets not cumulative");
      last_le = bound;
      last_bucket = value;
      if (le[1] == "+Inf") {
        saw_inf = true;
        inf_count = value;
      }
    } else if (family == histogram && absl::EndsWith(name, "_count")) {
      if (!saw_inf) return absl::InvalidArgumentError(where + "_count before the +Inf bucket");
      if (value != inf_count) return absl::InvalidArgumentError(where + "_count is not +Inf's");
    }
    if (!samples.emplace(name + labels, value).second) {
      return absl::InvalidArgumentError(where + "a second sample of the same series");
    }
  }
  return samples;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTING_PROMETHEUS_TEXT_H_
