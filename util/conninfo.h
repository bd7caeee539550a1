// A PostgreSQL connection string as it may be shown: in messages, on the
// terminal, in logs. Kept apart from the libpq session so that what shows a
// connection string without connecting (the tool's --db) needs no libpq.
#ifndef LOYALTY_UTIL_CONNINFO_H_
#define LOYALTY_UTIL_CONNINFO_H_

#include <string>

#include "absl/strings/string_view.h"

namespace loyalty::util {

// Whether `location` names a ledger in PostgreSQL (it starts with
// postgresql:// or postgres://) rather than a ledger directory: how the
// tool's --db and CopyLedger tell the two apart.
bool IsPostgresUri(absl::string_view location);

// `location` as it may be shown: a directory as given, a URI with its
// passwords as "***" (RedactedConninfo).
std::string ShownLocation(absl::string_view location);

// `conninfo` (a libpq URI or key=value string) with every password shown as
// "***": a URI's user:PASSWORD@ and a password=... parameter or keyword.
std::string RedactedConninfo(absl::string_view conninfo);

}  // namespace loyalty::util

#endif  // LOYALTY_UTIL_CONNINFO_H_
