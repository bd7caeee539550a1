#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "loyalty/audit.h"

namespace loyalty::audit {
namespace {

constexpr uint64_t kMaxSize = 64;

// The leaves of RFC 6962's test vectors (certificate-transparency's tests).
std::vector<std::string> VectorLeaves() {
  return {"",
          std::string(1, '\x00'),
          "\x10",
          "\x20\x21",
          "\x30\x31",
          "\x40\x41\x42\x43",
          "\x50\x51\x52\x53\x54\x55\x56\x57",
          "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
}

std::vector<Hash> LeafHashes(uint64_t count) {
  std::vector<Hash> hashes;
  for (uint64_t i = 0; i < count; ++i) {
    hashes.push_back(MerkleLeafHash("event " + std::to_string(i + 1)));
  }
  return hashes;
}

Hash Flipped(Hash hash, size_t byte) {
  hash[byte % hash.size()] ^= 0x01;
  return hash;
}

TEST(MerkleTest, RootsMatchTheRfc6962TestVectors) {
  const char* const kRoots[] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                                "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                                "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                                "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                                "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                                "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  std::vector<Hash> leaves;
  MerkleFrontier frontier;
  for (const std::string& leaf : VectorLeaves()) {
    leaves.push_back(MerkleLeafHash(leaf));
    frontier.Add(leaves.back());
    EXPECT_EQ(HashHex(MerkleRootOf(leaves)), kRoots[leaves.size() - 1]) << leaves.size();
    EXPECT_EQ(HashHex(frontier.Root()), kRoots[leaves.size() - 1]) << leaves.size();
  }
}

TEST(MerkleTest, EmptyTreeRootIsTheHashOfNothing) {
  EXPECT_EQ(HashHex(MerkleRootOf({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(MerkleFrontier().Root(), MerkleRootOf({}));
}

TEST(MerkleTest, FrontierAgreesWithTheNaiveRootAtEverySize) {
  const std::vector<Hash> leaves = LeafHashes(kMaxSize);
  MerkleFrontier frontier;
  for (uint64_t size = 1; size <= kMaxSize; ++size) {
    frontier.Add(leaves[size - 1]);
    ASSERT_EQ(frontier.Root(), MerkleRootOf(absl::MakeConstSpan(leaves).subspan(0, size))) << size;
    auto rebuilt = MerkleFrontier::FromPeaks(size, frontier.peaks());
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_EQ(rebuilt->Root(), frontier.Root());
  }
  EXPECT_FALSE(MerkleFrontier::FromPeaks(3, {Hash{}}).ok());
}

TEST(MerkleTest, FrontierReportsEveryCompletedPerfectSubtree) {
  const std::vector<Hash> leaves = LeafHashes(kMaxSize);
  MerkleFrontier frontier;
  int completed = 0;
  for (const Hash& leaf : leaves) {
    frontier.Add(leaf, [&](uint32_t level, uint64_t index, const Hash& hash) {
      const uint64_t width = uint64_t{1} << level;
      EXPECT_EQ(hash, MerkleRootOf(absl::MakeConstSpan(leaves).subspan(index * width, width)))
          << level << " " << index;
      ++completed;
    });
  }
  // A tree of 64 leaves has 63 inner nodes, all perfect.
  EXPECT_EQ(completed, 63);
}

TEST(MerkleTest, InclusionProofsVerifyForEverySizeAndLeaf) {
  const std::vector<Hash> leaves = LeafHashes(kMaxSize);
  for (uint64_t size = 1; size <= kMaxSize; ++size) {
    const Hash root = MerkleRootOf(absl::MakeConstSpan(leaves).subspan(0, size));
    for (uint64_t sequence = 1; sequence <= size; ++sequence) {
      auto proof = InclusionProofOf(leaves, sequence, size);
      ASSERT_TRUE(proof.ok()) << proof.status();
      EXPECT_TRUE(VerifyInclusion(*proof, leaves[sequence - 1], root).ok())
          << sequence << " of " << size;
      // Another leaf, another root, or one changed byte anywhere: rejected.
      EXPECT_FALSE(VerifyInclusion(*proof, Flipped(leaves[sequence - 1], sequence), root).ok());
      EXPECT_FALSE(VerifyInclusion(*proof, leaves[sequence - 1], Flipped(root, size)).ok());
      for (size_t i = 0; i < proof->path.size(); ++i) {
        InclusionProof altered = *proof;
        altered.path[i] = Flipped(altered.path[i], i * 7);
        EXPECT_FALSE(VerifyInclusion(altered, leaves[sequence - 1], root).ok())
            << sequence << " of " << size << ", path " << i;
      }
      // The proof does not fit another position or size.
      if (size > 1) {
        InclusionProof moved = *proof;
        moved.sequence = sequence == size ? 1 : sequence + 1;
        EXPECT_FALSE(VerifyInclusion(moved, leaves[sequence - 1], root).ok());
        InclusionProof shortened = *proof;
        shortened.path.pop_back();
        EXPECT_FALSE(VerifyInclusion(shortened, leaves[sequence - 1], root).ok());
      }
      InclusionProof lengthened = *proof;
      lengthened.path.push_back(root);
      EXPECT_FALSE(VerifyInclusion(lengthened, leaves[sequence - 1], root).ok());
    }
  }
}

TEST(MerkleTest, ConsistencyProofsVerifyForEveryPairOfSizes) {
  const std::vector<Hash> leaves = LeafHashes(kMaxSize);
  for (uint64_t new_size = 1; new_size <= kMaxSize; ++new_size) {
    const Hash new_root = MerkleRootOf(absl::MakeConstSpan(leaves).subspan(0, new_size));
    for (uint64_t old_size = 1; old_size <= new_size; ++old_size) {
      const Hash old_root = MerkleRootOf(absl::MakeConstSpan(leaves).subspan(0, old_size));
      auto proof = ConsistencyProofOf(leaves, old_size, new_size);
      ASSERT_TRUE(proof.ok()) << proof.status();
      EXPECT_TRUE(VerifyConsistency(*proof, old_root, new_root).ok())
          << old_size << " -> " << new_size;
      EXPECT_FALSE(VerifyConsistency(*proof, Flipped(old_root, 3), new_root).ok());
      EXPECT_FALSE(VerifyConsistency(*proof, old_root, Flipped(new_root, 5)).ok());
      for (size_t i = 0; i < proof->path.size(); ++i) {
        ConsistencyProof altered = *proof;
        altered.path[i] = Flipped(altered.path[i], i * 11);
        EXPECT_FALSE(VerifyConsistency(altered, old_root, new_root).ok())
            << old_size << " -> " << new_size << ", path " << i;
      }
      if (old_size < new_size) {
        // A log that rewrote a leaf of the old tree cannot prove it extends it.
        std::vector<Hash> rewritten = leaves;
        rewritten[old_size - 1] = Flipped(rewritten[old_size - 1], 0);
        auto forged = ConsistencyProofOf(rewritten, old_size, new_size);
        ASSERT_TRUE(forged.ok());
        const Hash forged_root = MerkleRootOf(absl::MakeConstSpan(rewritten).subspan(0, new_size));
        EXPECT_FALSE(VerifyConsistency(*forged, old_root, forged_root).ok());
      }
    }
  }
}

TEST(MerkleTest, ProofsOutOfRangeAreInvalidArguments) {
  const std::vector<Hash> leaves = LeafHashes(8);
  EXPECT_EQ(InclusionProofOf(leaves, 0, 8).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProofOf(leaves, 9, 8).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProofOf(leaves, 1, 9).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProofOf(leaves, 0, 8).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProofOf(leaves, 5, 4).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyInclusion(InclusionProof{9, 8, {}}, leaves[0], leaves[0]).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace loyalty::audit
