// Key layouts of the ledger's column families. Numbers are big-endian so
// that RocksDB's bytewise order is numeric order.
//
//   events       BE64(sequence)                      -> canonical bytes, then chain hash (32)
//   streams      stream_id 0x00 BE64(stream_version) -> BE64(sequence)
//   idempotency  idempotency_key                     -> BE64(sequence) content_digest(32)
//   meta         "head"                              -> BE64(sequence) hash(32) BE64(recorded_at_us)
//                "format"                            -> kFormatName
#ifndef LOYALTY_LEDGER_KEYS_H_
#define LOYALTY_LEDGER_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "util/big_endian.h"

namespace loyalty::internal {

inline constexpr char kEventsFamily[] = "events";
inline constexpr char kStreamsFamily[] = "streams";
inline constexpr char kIdempotencyFamily[] = "idempotency";
inline constexpr char kMetaFamily[] = "meta";

inline constexpr char kHeadKey[] = "head";
inline constexpr char kFormatKey[] = "format";
// /1 kept chain hashes in a family of their own and numbered the envelope's
// fields differently; /2 stores each hash after its event's bytes.
inline constexpr char kFormatName[] = "loyalty-ledger/2";

// An events value is the canonical bytes followed by the chain hash: one key
// per event instead of two. Splits `value` into the two; false if it is too
// short to hold a hash.
inline bool SplitEventValue(absl::string_view value, absl::string_view* canonical_bytes,
                            absl::string_view* hash) {
  constexpr size_t kHashBytes = 32;
  if (value.size() < kHashBytes) return false;
  *canonical_bytes = value.substr(0, value.size() - kHashBytes);
  *hash = value.substr(value.size() - kHashBytes);
  return true;
}

inline std::string StreamKeyPrefix(absl::string_view stream_id) {
  std::string key(stream_id);
  key.push_back('\0');
  return key;
}

inline void AppendStreamKey(absl::string_view stream_id, uint64_t version, std::string* key) {
  key->append(stream_id.data(), stream_id.size());
  key->push_back('\0');
  util::PutBigEndian64(key, version);
}

inline std::string StreamKey(absl::string_view stream_id, uint64_t version) {
  std::string key;
  key.reserve(stream_id.size() + 9);
  AppendStreamKey(stream_id, version, &key);
  return key;
}

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_KEYS_H_
