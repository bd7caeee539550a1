#include "text/quoted.h"

#include <cstdint>

namespace loyalty::text {
namespace {

void AppendHexByte(uint8_t byte, std::string* out) {
  constexpr char kDigits[] = "0123456789abcdef";
  out->append("\\x");
  out->push_back(kDigits[byte >> 4]);
  out->push_back(kDigits[byte & 0xF]);
}

// Appends the escaped form of `value`, at most `max_bytes` of it (whole
// characters only); returns how many bytes of `value` were shown.
size_t AppendEscaped(absl::string_view value, size_t max_bytes, std::string* out) {
  size_t at = 0;
  while (at < value.size()) {
    const uint8_t byte = static_cast<uint8_t>(value[at]);
    if (byte < 0x80) {
      if (at + 1 > max_bytes) break;
      switch (byte) {
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        default:
          if (byte < 0x20 || byte == 0x7F) {
            AppendHexByte(byte, out);
          } else {
            out->push_back(static_cast<char>(byte));
          }
      }
      ++at;
      continue;
    }
    const size_t length = Utf8SequenceLength(value.substr(at));
    if (length == 0) {
      // Not UTF-8: the byte as it is, so that the value can be found again.
      if (at + 1 > max_bytes) break;
      AppendHexByte(byte, out);
      ++at;
      continue;
    }
    if (at + length > max_bytes) break;
    // C1 controls (U+0080..U+009F, "\xc2\x80".."\xc2\x9f") move terminals
    // as C0 controls do.
    const bool c1_control =
        length == 2 && byte == 0xC2 && static_cast<uint8_t>(value[at + 1]) < 0xA0;
    if (c1_control) {
      AppendHexByte(byte, out);
      AppendHexByte(static_cast<uint8_t>(value[at + 1]), out);
    } else {
      out->append(value.data() + at, length);
    }
    at += length;
  }
  return at;
}

}  // namespace

size_t Utf8SequenceLength(absl::string_view text) {
  if (text.empty()) return 0;
  const uint8_t lead = static_cast<uint8_t>(text[0]);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint32_t code_point = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code_point = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return 0;  // A continuation byte, an over-long lead (C0, C1) or past F4.
  }
  if (text.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    const uint8_t next = static_cast<uint8_t>(text[i]);
    if ((next & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (next & 0x3F);
  }
  const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < smallest[length]) return 0;                 // over-long
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;  // a surrogate
  if (code_point > 0x10FFFF) return 0;
  return length;
}

std::string Escaped(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  AppendEscaped(value, value.size(), &out);
  return out;
}

std::string Quoted(absl::string_view value, size_t max_bytes) {
  std::string out = "\"";
  const size_t shown = AppendEscaped(value, max_bytes, &out);
  if (shown < value.size()) out.append("...");
  out.push_back('"');
  return out;
}

}  // namespace loyalty::text
