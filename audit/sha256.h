// SHA-256 for the audit module: one reusable OpenSSL context per thread.
// Internal to audit/.
#ifndef LOYALTY_AUDIT_SHA256_H_
#define LOYALTY_AUDIT_SHA256_H_

#include <openssl/types.h>

#include <initializer_list>

#include "absl/strings/string_view.h"
#include "loyalty/ledger.h"

namespace loyalty::audit::internal {

// SHA-256 of the concatenation of `parts`.
Hash Sha256(std::initializer_list<absl::string_view> parts);

// SHA-256 of data given in pieces.
class IncrementalSha256 {
 public:
  IncrementalSha256();
  ~IncrementalSha256();
  IncrementalSha256(const IncrementalSha256&) = delete;
  IncrementalSha256& operator=(const IncrementalSha256&) = delete;

  void Update(absl::string_view bytes);
  // The hash of everything given; the object is not to be used after.
  Hash Final();

 private:
  EVP_MD_CTX* ctx_;
};

// The hash's 32 bytes as a string view (valid while `hash` lives).
inline absl::string_view HashView(const Hash& hash) {
  return absl::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}

// Copies 32 bytes into `*hash`; false if `bytes` is not 32 bytes long.
bool HashFromView(absl::string_view bytes, Hash* hash);

// Parses 64 hexadecimal digits (either case) into `*hash`; false otherwise.
bool HashFromHex(absl::string_view hex, Hash* hash);

}  // namespace loyalty::audit::internal

#endif  // LOYALTY_AUDIT_SHA256_H_
