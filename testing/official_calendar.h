// The shipped holiday schedules (data/calendar/cn-<year>.txt), read by
// tests. LOYALTY_CALENDAR_DATA_DIR comes with the loyalty_testing target.
#ifndef LOYALTY_TESTING_OFFICIAL_CALENDAR_H_
#define LOYALTY_TESTING_OFFICIAL_CALENDAR_H_

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace loyalty::testing {

// The path of data/calendar/cn-<year>.txt.
inline std::string OfficialCalendarPath(int year) {
  return absl::StrCat(LOYALTY_CALENDAR_DATA_DIR, "/cn-", year, ".txt");
}

// The text of data/calendar/cn-<year>.txt; empty (and a test failure) if it
// cannot be read.
inline std::string OfficialCalendarText(int year) {
  const std::string path = OfficialCalendarPath(year);
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << "cannot read " << path;
  std::ostringstream text;
  text << file.rdbuf();
  EXPECT_FALSE(text.str().empty()) << "cannot read the calendar of " << year;
  return text.str();
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTING_OFFICIAL_CALENDAR_H_
