#include "projections/projection.h"

#include <openssl/sha.h>

namespace loyalty::projections {

Hash Projection::Digest() const {
  const std::string state = CanonicalState();
  Hash hash{};
  SHA256(reinterpret_cast<const unsigned char*>(state.data()), state.size(), hash.data());
  return hash;
}

}  // namespace loyalty::projections
