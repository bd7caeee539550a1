// How many terminal columns text takes, so that tables with Chinese names
// line up: a CJK character is shown two columns wide, as terminals and
// monospaced fonts draw it.
#ifndef LOYALTY_TEXT_DISPLAY_WIDTH_H_
#define LOYALTY_TEXT_DISPLAY_WIDTH_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace loyalty::text {

// The columns `text` takes on a terminal: 2 for each East Asian wide or
// fullwidth character (CJK ideographs, kana, hangul, fullwidth forms, most
// emoji), 0 for a combining mark, 1 for any other character and for each
// byte that is not UTF-8. Examples: "M1" -> 2, "万达店" -> 6, "Café" -> 4.
size_t DisplayWidth(absl::string_view text);

}  // namespace loyalty::text

#endif  // LOYALTY_TEXT_DISPLAY_WIDTH_H_
