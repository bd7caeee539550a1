// Fixed-width big-endian numbers, for keys whose bytewise order (RocksDB's)
// must be numeric order, and for byte strings other implementations read
// (the personal-data AAD, the audit formats).
#ifndef LOYALTY_UTIL_BIG_ENDIAN_H_
#define LOYALTY_UTIL_BIG_ENDIAN_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace loyalty::util {

// Appends the 8 big-endian bytes of `value` to `*out`.
inline void PutBigEndian64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

// Writes the 8 big-endian bytes of `value` to `out`, for keys built in place.
inline void EncodeBigEndian64(uint64_t value, char out[8]) {
  for (int i = 7; i >= 0; --i, value >>= 8) out[i] = static_cast<char>(value & 0xff);
}

// The 8 big-endian bytes of `value`.
inline std::string BigEndian64(uint64_t value) {
  std::string out;
  out.reserve(8);
  PutBigEndian64(&out, value);
  return out;
}

// Decodes 8 big-endian bytes at the start of `bytes` (which must hold them).
inline uint64_t DecodeBigEndian64(absl::string_view bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

}  // namespace loyalty::util

#endif  // LOYALTY_UTIL_BIG_ENDIAN_H_
