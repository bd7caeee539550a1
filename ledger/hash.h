// SHA-256 for the chain: one reusable digest context per thread.
#ifndef LOYALTY_LEDGER_HASH_H_
#define LOYALTY_LEDGER_HASH_H_

#include "absl/strings/string_view.h"
#include "loyalty/ledger.h"

namespace loyalty::internal {

// SHA-256 of `bytes`.
Hash Sha256(absl::string_view bytes);

// hash(n) = SHA-256(hash(n-1) || canonical_bytes(n)).
Hash ChainHash(const Hash& previous, absl::string_view canonical_bytes);
// The same, for canonical bytes held in two pieces:
// canonical_bytes = canonical_head || canonical_tail.
Hash ChainHash(const Hash& previous, absl::string_view canonical_head,
               absl::string_view canonical_tail);

// The hash as a byte string view, for storing and comparing.
inline absl::string_view HashBytes(const Hash& hash) {
  return absl::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}

// Copies 32 bytes into a Hash; false if `bytes` is not 32 bytes long.
bool HashFromBytes(absl::string_view bytes, Hash* hash);

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_HASH_H_
