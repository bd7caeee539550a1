#include "ledger/hash.h"

#include "absl/strings/escaping.h"
#include "util/sha256.h"

namespace loyalty {

std::string HashHex(const Hash& hash) {
  return absl::BytesToHexString(util::DigestBytes(hash));
}

namespace internal {

Hash ChainHash(const Hash& previous, absl::string_view canonical_bytes) {
  return util::Sha256({util::DigestBytes(previous), canonical_bytes});
}

Hash ChainHash(const Hash& previous, absl::string_view canonical_head,
               absl::string_view canonical_tail) {
  return util::Sha256({util::DigestBytes(previous), canonical_head, canonical_tail});
}

}  // namespace internal
}  // namespace loyalty
