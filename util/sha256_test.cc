// The one SHA-256: FIPS 180-2's test vectors, and the same digest whether
// the bytes come whole, in parts or incrementally.
#include "util/sha256.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace loyalty::util {
namespace {

std::string Hex(const Sha256Digest& digest) { return absl::BytesToHexString(DigestBytes(digest)); }

constexpr char kEmptyHex[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcHex[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Hex(Sha256(absl::string_view())), kEmptyHex);
  EXPECT_EQ(Hex(Sha256("abc")), kAbcHex);
  EXPECT_EQ(Hex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, PartsHashAsTheirConcatenation) {
  EXPECT_EQ(Hex(Sha256({"a", "", "bc"})), kAbcHex);
  EXPECT_EQ(Hex(Sha256(absl::Span<const absl::string_view>())), kEmptyHex);
  const std::vector<absl::string_view> parts = {"ab", "c"};
  EXPECT_EQ(Hex(Sha256(parts)), kAbcHex);
}

TEST(Sha256Test, IncrementalEqualsOneShot) {
  IncrementalSha256 hash;
  hash.Update("a");
  hash.Update("");
  hash.Update("bc");
  EXPECT_EQ(Hex(hash.Final()), kAbcHex);
}

TEST(Sha256Test, DigestFromBytesTakesExactly32Bytes) {
  const Sha256Digest abc = Sha256("abc");
  Sha256Digest copy{};
  EXPECT_TRUE(DigestFromBytes(DigestBytes(abc), &copy));
  EXPECT_EQ(copy, abc);
  Sha256Digest untouched{};
  EXPECT_FALSE(DigestFromBytes(DigestBytes(abc).substr(1), &untouched));
  EXPECT_EQ(untouched, Sha256Digest{});
}

TEST(Sha256Test, DigestFromHexTakesEitherCaseAndNothingElse) {
  Sha256Digest parsed{};
  EXPECT_TRUE(DigestFromHex(kAbcHex, &parsed));
  EXPECT_EQ(Hex(parsed), kAbcHex);
  EXPECT_TRUE(DigestFromHex(absl::AsciiStrToUpper(kAbcHex), &parsed));
  EXPECT_EQ(Hex(parsed), kAbcHex);
  EXPECT_FALSE(DigestFromHex(absl::string_view(kAbcHex).substr(2), &parsed));
  std::string not_hex = kAbcHex;
  not_hex[10] = 'g';
  EXPECT_FALSE(DigestFromHex(not_hex, &parsed));
}

}  // namespace
}  // namespace loyalty::util
