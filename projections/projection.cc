#include "projections/projection.h"

#include "util/sha256.h"

namespace loyalty::projections {

Hash Projection::Digest() const { return DigestOf(CanonicalState()); }

Hash DigestOf(absl::string_view canonical_state) {
  return util::Sha256(canonical_state);
}

Hash DigestCanonical(absl::FunctionRef<void(CanonicalSink)> write) {
  util::IncrementalSha256 hash;
  write([&hash](absl::string_view piece) { hash.Update(piece); });
  return hash.Final();
}

}  // namespace loyalty::projections
