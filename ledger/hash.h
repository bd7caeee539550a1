// The chain's rule: each event's hash covers the previous hash and the
// event's canonical bytes. SHA-256 itself is util/sha256.h.
#ifndef LOYALTY_LEDGER_HASH_H_
#define LOYALTY_LEDGER_HASH_H_

#include "absl/strings/string_view.h"
#include "loyalty/ledger.h"

namespace loyalty::internal {

// hash(n) = SHA-256(hash(n-1) || canonical_bytes(n)).
Hash ChainHash(const Hash& previous, absl::string_view canonical_bytes);
// The same, for canonical bytes held in two pieces:
// canonical_bytes = canonical_head || canonical_tail.
Hash ChainHash(const Hash& previous, absl::string_view canonical_head,
               absl::string_view canonical_tail);

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_HASH_H_
