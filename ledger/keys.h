// Key layouts of the ledger's column families. Numbers are big-endian so
// that RocksDB's bytewise order is numeric order.
//
//   events       BE64(sequence)                      -> canonical bytes
//   chain        BE64(sequence)                      -> hash (32 bytes)
//   streams      stream_id 0x00 BE64(stream_version) -> BE64(sequence)
//   idempotency  idempotency_key                     -> BE64(sequence) content_digest(32)
//   meta         "head"                              -> BE64(sequence) hash(32) BE64(recorded_at_us)
//                "format"                            -> kFormatName
#ifndef LOYALTY_LEDGER_KEYS_H_
#define LOYALTY_LEDGER_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace loyalty::internal {

inline constexpr char kEventsFamily[] = "events";
inline constexpr char kChainFamily[] = "chain";
inline constexpr char kStreamsFamily[] = "streams";
inline constexpr char kIdempotencyFamily[] = "idempotency";
inline constexpr char kMetaFamily[] = "meta";

inline constexpr char kHeadKey[] = "head";
inline constexpr char kFormatKey[] = "format";
inline constexpr char kFormatName[] = "loyalty-ledger/1";

inline void PutBigEndian64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

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

inline std::string StreamKeyPrefix(absl::string_view stream_id) {
  std::string key(stream_id);
  key.push_back('\0');
  return key;
}

inline std::string StreamKey(absl::string_view stream_id, uint64_t version) {
  std::string key = StreamKeyPrefix(stream_id);
  PutBigEndian64(&key, version);
  return key;
}

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_KEYS_H_
