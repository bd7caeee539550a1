#include "ledger/hash.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/escaping.h"

namespace loyalty {

std::string HashHex(const Hash& hash) {
  return absl::BytesToHexString(internal::HashBytes(hash));
}

namespace internal {
namespace {

// Fetching the algorithm once avoids OpenSSL 3's per-call provider lookup.
const EVP_MD* Sha256Algorithm() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) std::abort();  // OpenSSL without SHA-256 cannot run a ledger.
  return md;
}

// A digest context reused by every hash computed on this thread.
class ThreadDigest {
 public:
  ThreadDigest() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr) std::abort();
  }
  ~ThreadDigest() { EVP_MD_CTX_free(ctx_); }
  ThreadDigest(const ThreadDigest&) = delete;
  ThreadDigest& operator=(const ThreadDigest&) = delete;

  Hash Digest(absl::string_view first, absl::string_view second,
              absl::string_view third = absl::string_view()) {
    Hash out{};
    unsigned int length = 0;
    if (EVP_DigestInit_ex(ctx_, Sha256Algorithm(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx_, first.data(), first.size()) != 1 ||
        EVP_DigestUpdate(ctx_, second.data(), second.size()) != 1 ||
        EVP_DigestUpdate(ctx_, third.data(), third.size()) != 1 ||
        EVP_DigestFinal_ex(ctx_, out.data(), &length) != 1 || length != out.size()) {
      std::abort();  // SHA-256 over memory cannot fail short of a broken library.
    }
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

ThreadDigest& Digest() {
  thread_local ThreadDigest digest;
  return digest;
}

}  // namespace

Hash Sha256(absl::string_view bytes) { return Digest().Digest(bytes, absl::string_view()); }

Hash ChainHash(const Hash& previous, absl::string_view canonical_bytes) {
  return Digest().Digest(HashBytes(previous), canonical_bytes);
}

Hash ChainHash(const Hash& previous, absl::string_view canonical_head,
               absl::string_view canonical_tail) {
  return Digest().Digest(HashBytes(previous), canonical_head, canonical_tail);
}

bool HashFromBytes(absl::string_view bytes, Hash* hash) {
  if (bytes.size() != hash->size()) return false;
  std::memcpy(hash->data(), bytes.data(), hash->size());
  return true;
}

}  // namespace internal
}  // namespace loyalty
