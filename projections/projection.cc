#include "projections/projection.h"

#include "util/sha256.h"

namespace loyalty::projections {

Hash Projection::Digest() const { return DigestOf(CanonicalState()); }

Hash DigestOf(absl::string_view canonical_state) {
  return util::Sha256(canonical_state);
}

}  // namespace loyalty::projections
