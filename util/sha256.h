// SHA-256, the one implementation every layer uses: the ledger's chain and
// content digests, the audit's Merkle tree and bundles, the projections'
// digests and the schema's descriptor-set digest. OpenSSL underneath, with a
// reusable digest context per thread.
#ifndef LOYALTY_UTIL_SHA256_H_
#define LOYALTY_UTIL_SHA256_H_

#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace loyalty::util {

inline constexpr size_t kSha256Bytes = 32;
// The same type as loyalty::Hash (include/loyalty/ledger.h).
using Sha256Digest = std::array<uint8_t, kSha256Bytes>;

// SHA-256 of `bytes`.
Sha256Digest Sha256(absl::string_view bytes);

// SHA-256 of the concatenation of `parts`, without concatenating them:
// Sha256({a, b}) == Sha256(a + b).
Sha256Digest Sha256(absl::Span<const absl::string_view> parts);

// SHA-256 of data given in pieces, for input that is not in memory at once.
class IncrementalSha256 {
 public:
  IncrementalSha256();
  ~IncrementalSha256();
  IncrementalSha256(const IncrementalSha256&) = delete;
  IncrementalSha256& operator=(const IncrementalSha256&) = delete;

  void Update(absl::string_view bytes);
  // The digest of everything given; the object is not to be used after.
  Sha256Digest Final();

 private:
  EVP_MD_CTX* ctx_;
};

// The digest's 32 bytes as a string view (valid while `digest` lives), for
// storing, hashing further and comparing.
inline absl::string_view DigestBytes(const Sha256Digest& digest) {
  return absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size());
}

// Copies 32 bytes into `*digest`; false (and `*digest` unchanged) if `bytes`
// is not 32 bytes long.
bool DigestFromBytes(absl::string_view bytes, Sha256Digest* digest);

// Parses 64 hexadecimal digits (either case) into `*digest`; false
// otherwise.
bool DigestFromHex(absl::string_view hex, Sha256Digest* digest);

}  // namespace loyalty::util

#endif  // LOYALTY_UTIL_SHA256_H_
