#include "text/display_width.h"

#include <cstdint>

#include "text/quoted.h"

namespace loyalty::text {
namespace {

struct Range {
  uint32_t first;
  uint32_t last;
};

// East Asian Wide (W) and Fullwidth (F) blocks of Unicode (UAX #11), by
// block: the table of Markus Kuhn's wcwidth, with the emoji planes.
constexpr Range kWide[] = {
    {0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},
    {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},
    {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F},
    {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

// Combining marks that add no column of their own.
constexpr Range kCombining[] = {
    {0x0300, 0x036F}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x20D0, 0x20FF}, {0xFE20, 0xFE2F},
};

bool In(const Range* begin, const Range* end, uint32_t code_point) {
  for (const Range* range = begin; range != end; ++range) {
    if (code_point >= range->first && code_point <= range->last) return true;
  }
  return false;
}

uint32_t CodePoint(absl::string_view sequence) {
  const uint8_t lead = static_cast<uint8_t>(sequence[0]);
  if (sequence.size() == 1) return lead;
  uint32_t code_point = lead & (0x7F >> sequence.size());
  for (size_t i = 1; i < sequence.size(); ++i) {
    code_point = (code_point << 6) | (static_cast<uint8_t>(sequence[i]) & 0x3F);
  }
  return code_point;
}

}  // namespace

size_t DisplayWidth(absl::string_view text) {
  size_t width = 0;
  while (!text.empty()) {
    const size_t length = Utf8SequenceLength(text);
    if (length == 0) {
      ++width;
      text.remove_prefix(1);
      continue;
    }
    const uint32_t code_point = CodePoint(text.substr(0, length));
    if (In(std::begin(kWide), std::end(kWide), code_point)) {
      width += 2;
    } else if (!In(std::begin(kCombining), std::end(kCombining), code_point)) {
      width += 1;
    }
    text.remove_prefix(length);
  }
  return width;
}

}  // namespace loyalty::text
