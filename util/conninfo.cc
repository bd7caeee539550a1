#include "util/conninfo.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace loyalty::util {

bool IsPostgresUri(absl::string_view location) {
  return absl::StartsWith(location, "postgresql://") || absl::StartsWith(location, "postgres://");
}

std::string ShownLocation(absl::string_view location) {
  return IsPostgresUri(location) ? RedactedConninfo(location) : std::string(location);
}

std::string RedactedConninfo(absl::string_view conninfo) {
  std::string shown(conninfo);
  // postgresql://user:PASSWORD@host...
  const size_t scheme = shown.find("://");
  if (absl::StartsWith(shown, "postgres") && scheme != std::string::npos) {
    const size_t authority = scheme + 3;
    const size_t authority_end = std::min(shown.find_first_of("/?", authority), shown.size());
    const size_t at = shown.rfind('@', authority_end);
    const size_t colon = shown.find(':', authority);
    if (at != std::string::npos && at >= authority && colon < at) {
      shown = absl::StrCat(shown.substr(0, colon + 1), "***", shown.substr(at));
    }
  }
  // password=... as a URI parameter (up to & or #) or a keyword (up to a
  // blank; a quoted value up to its closing quote).
  for (size_t at = shown.find("password="); at != std::string::npos;
       at = shown.find("password=", at + 1)) {
    const unsigned char before = at > 0 ? static_cast<unsigned char>(shown[at - 1]) : ' ';
    if (std::isalnum(before) || before == '_') {
      continue;  // another parameter's name ending in "password"
    }
    const size_t value = at + 9;
    size_t end;
    if (value < shown.size() && shown[value] == '\'') {
      end = value + 1;
      while (end < shown.size() && shown[end] != '\'') end += shown[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, shown.size());
    } else {
      end = std::min(shown.find_first_of("&# \t\n", value), shown.size());
    }
    shown.replace(value, end - value, "***");
  }
  return shown;
}

}  // namespace loyalty::util
