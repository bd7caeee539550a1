#include "projections/projection.h"

#include <openssl/sha.h>

namespace loyalty::projections {

Hash Projection::Digest() const { return DigestOf(CanonicalState()); }

Hash DigestOf(absl::string_view canonical_state) {
  Hash hash{};
  SHA256(reinterpret_cast<const unsigned char*>(canonical_state.data()), canonical_state.size(),
         hash.data());
  return hash;
}

}  // namespace loyalty::projections
