#include "util/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>

namespace loyalty::util {
namespace {

// Fetching the algorithm once avoids OpenSSL 3's per-call provider lookup.
const EVP_MD* Sha256Algorithm() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) std::abort();  // an OpenSSL without SHA-256 can run no ledger
  return md;
}

// A digest context reused by every one-shot digest on this thread: a
// context per call would cost an allocation on the append path.
class ThreadContext {
 public:
  ThreadContext() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr) std::abort();
  }
  ~ThreadContext() { EVP_MD_CTX_free(ctx_); }
  ThreadContext(const ThreadContext&) = delete;
  ThreadContext& operator=(const ThreadContext&) = delete;
  EVP_MD_CTX* get() { return ctx_; }

 private:
  EVP_MD_CTX* ctx_;
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Sha256Digest Sha256(absl::string_view bytes) {
  const absl::string_view parts[] = {bytes};
  return Sha256(absl::MakeConstSpan(parts));
}

Sha256Digest Sha256(absl::Span<const absl::string_view> parts) {
  thread_local ThreadContext context;
  EVP_MD_CTX* ctx = context.get();
  Sha256Digest out{};
  unsigned int length = 0;
  bool ok = EVP_DigestInit_ex(ctx, Sha256Algorithm(), nullptr) == 1;
  for (absl::string_view part : parts) {
    ok = ok && EVP_DigestUpdate(ctx, part.data(), part.size()) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &length) == 1 && length == out.size();
  if (!ok) std::abort();  // SHA-256 over memory fails only in a broken library
  return out;
}

IncrementalSha256::IncrementalSha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, Sha256Algorithm(), nullptr) != 1) std::abort();
}

IncrementalSha256::~IncrementalSha256() { EVP_MD_CTX_free(ctx_); }

void IncrementalSha256::Update(absl::string_view bytes) {
  if (EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) != 1) std::abort();
}

Sha256Digest IncrementalSha256::Final() {
  Sha256Digest out{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &length) != 1 || length != out.size()) std::abort();
  return out;
}

bool DigestFromBytes(absl::string_view bytes, Sha256Digest* digest) {
  if (bytes.size() != digest->size()) return false;
  std::memcpy(digest->data(), bytes.data(), digest->size());
  return true;
}

bool DigestFromHex(absl::string_view hex, Sha256Digest* digest) {
  if (hex.size() != 2 * digest->size()) return false;
  for (size_t i = 0; i < digest->size(); ++i) {
    const int high = HexDigit(hex[2 * i]);
    const int low = HexDigit(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    (*digest)[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return true;
}

}  // namespace loyalty::util
