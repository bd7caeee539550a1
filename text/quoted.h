// Values shown in messages and reports: text a person reads on one line.
//
// Ids, names and file contents are UTF-8 (a mall's member ids and store
// names are often Chinese: "会员001", "万达店"), so valid UTF-8 is shown as
// it is; only what would break the line or the terminal, or is not text at
// all, is escaped: control characters (C0, DEL and C1), invalid UTF-8 bytes,
// and the quote and backslash that delimit the value.
//
// Example:
//   Quoted("会员001")           -> "会员001"            (with the quotes)
//   Quoted("a\"b\n\xff")        -> "a\"b\n\xff"         (escaped as written)
#ifndef LOYALTY_TEXT_QUOTED_H_
#define LOYALTY_TEXT_QUOTED_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace loyalty::text {

// How many bytes of a value a message shows before cutting it short.
inline constexpr size_t kMaxShownBytes = 80;

// `value` with control characters, invalid UTF-8 bytes, '"' and '\' escaped
// C-style ("\n", "\t", "\r", "\"", "\\", otherwise "\xHH" per byte); every
// other character, ASCII or not, is copied.
std::string Escaped(absl::string_view value);

// `value` escaped and in double quotes. Past `max_bytes` it is cut at the
// last whole character that fits and "..." is added inside the quotes, so
// that a long value does not flood a message and a character is never cut
// in half.
std::string Quoted(absl::string_view value, size_t max_bytes = kMaxShownBytes);

// The length in bytes of the valid UTF-8 sequence that starts `text`; 0 when
// `text` is empty or does not start with one (a stray continuation byte, an
// over-long or truncated sequence, a surrogate, a code point past U+10FFFF).
size_t Utf8SequenceLength(absl::string_view text);

}  // namespace loyalty::text

#endif  // LOYALTY_TEXT_QUOTED_H_
