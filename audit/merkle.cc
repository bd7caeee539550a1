// RFC 6962 Merkle hashing, proofs and their verification (RFC 9162's
// algorithms), and the growing frontier.
#include <bit>
#include <utility>

#include "absl/strings/str_cat.h"
#include "audit/merkle_internal.h"
#include "loyalty/audit.h"
#include "util/sha256.h"

namespace loyalty::audit {
namespace internal {
namespace {

absl::Status AppendInclusionPath(uint64_t leaf_index, uint64_t begin, uint64_t end,
                                 SubtreeHashFn subtree_hash, std::vector<Hash>* path) {
  if (end - begin == 1) return absl::OkStatus();
  const uint64_t split = begin + SplitPoint(end - begin);
  // The deeper part of the path comes first: PATH(m, D[0:k]) : MTH(D[k:n]).
  absl::StatusOr<Hash> sibling;
  if (leaf_index < split) {
    absl::Status status = AppendInclusionPath(leaf_index, begin, split, subtree_hash, path);
    if (!status.ok()) return status;
    sibling = subtree_hash(split, end);
  } else {
    absl::Status status = AppendInclusionPath(leaf_index, split, end, subtree_hash, path);
    if (!status.ok()) return status;
    sibling = subtree_hash(begin, split);
  }
  if (!sibling.ok()) return sibling.status();
  path->push_back(*sibling);
  return absl::OkStatus();
}

// SUBPROOF(m, D[begin:end], whole) of RFC 6962, 2.1.2.
absl::Status AppendSubproof(uint64_t old_size, uint64_t begin, uint64_t end, bool whole,
                            SubtreeHashFn subtree_hash, std::vector<Hash>* path) {
  const uint64_t size = end - begin;
  if (old_size == size) {
    if (whole) return absl::OkStatus();
    absl::StatusOr<Hash> hash = subtree_hash(begin, end);
    if (!hash.ok()) return hash.status();
    path->push_back(*hash);
    return absl::OkStatus();
  }
  const uint64_t split = SplitPoint(size);
  absl::StatusOr<Hash> sibling;
  if (old_size <= split) {
    absl::Status status = AppendSubproof(old_size, begin, begin + split, whole, subtree_hash, path);
    if (!status.ok()) return status;
    sibling = subtree_hash(begin + split, end);
  } else {
    absl::Status status =
        AppendSubproof(old_size - split, begin + split, end, false, subtree_hash, path);
    if (!status.ok()) return status;
    sibling = subtree_hash(begin, begin + split);
  }
  if (!sibling.ok()) return sibling.status();
  path->push_back(*sibling);
  return absl::OkStatus();
}

}  // namespace

uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

absl::StatusOr<std::vector<Hash>> InclusionPath(uint64_t leaf_index, uint64_t tree_size,
                                                SubtreeHashFn subtree_hash) {
  std::vector<Hash> path;
  absl::Status status = AppendInclusionPath(leaf_index, 0, tree_size, subtree_hash, &path);
  if (!status.ok()) return status;
  return path;
}

absl::StatusOr<std::vector<Hash>> ConsistencyPath(uint64_t old_size, uint64_t new_size,
                                                  SubtreeHashFn subtree_hash) {
  std::vector<Hash> path;
  absl::Status status = AppendSubproof(old_size, 0, new_size, true, subtree_hash, &path);
  if (!status.ok()) return status;
  return path;
}

}  // namespace internal

namespace {

constexpr char kLeafPrefix[] = {'\x00'};
constexpr char kNodePrefix[] = {'\x01'};

Hash EmptyRoot() { return util::Sha256(absl::string_view()); }

Hash RootOfRange(absl::Span<const Hash> leaves) {
  if (leaves.empty()) return EmptyRoot();
  if (leaves.size() == 1) return leaves[0];
  const uint64_t split = internal::SplitPoint(leaves.size());
  return MerkleNodeHash(RootOfRange(leaves.subspan(0, split)), RootOfRange(leaves.subspan(split)));
}

absl::Status ProofMismatch(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("the proof does not hold: ", what));
}

}  // namespace

Hash MerkleLeafHash(absl::string_view canonical_bytes) {
  return util::Sha256({absl::string_view(kLeafPrefix, 1), canonical_bytes});
}

Hash MerkleNodeHash(const Hash& left, const Hash& right) {
  return util::Sha256(
      {absl::string_view(kNodePrefix, 1), util::DigestBytes(left), util::DigestBytes(right)});
}

Hash MerkleRootOf(absl::Span<const Hash> leaf_hashes) { return RootOfRange(leaf_hashes); }

absl::StatusOr<InclusionProof> InclusionProofOf(absl::Span<const Hash> leaf_hashes,
                                                uint64_t sequence, uint64_t tree_size) {
  if (tree_size > leaf_hashes.size() || sequence < 1 || sequence > tree_size) {
    return absl::InvalidArgumentError(absl::StrCat("inclusion proof: sequence ", sequence,
                                                   " is not in the tree of ", tree_size,
                                                   " events (", leaf_hashes.size(), " known)"));
  }
  absl::StatusOr<std::vector<Hash>> path = internal::InclusionPath(
      sequence - 1, tree_size, [&](uint64_t begin, uint64_t end) -> absl::StatusOr<Hash> {
        return RootOfRange(leaf_hashes.subspan(begin, end - begin));
      });
  if (!path.ok()) return path.status();
  return InclusionProof{sequence, tree_size, std::move(*path)};
}

absl::StatusOr<ConsistencyProof> ConsistencyProofOf(absl::Span<const Hash> leaf_hashes,
                                                    uint64_t old_size, uint64_t new_size) {
  if (old_size < 1 || old_size > new_size || new_size > leaf_hashes.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("consistency proof: sizes ", old_size, " and ", new_size,
                     " are not 1 <= old <= new <= ", leaf_hashes.size()));
  }
  absl::StatusOr<std::vector<Hash>> path = internal::ConsistencyPath(
      old_size, new_size, [&](uint64_t begin, uint64_t end) -> absl::StatusOr<Hash> {
        return RootOfRange(leaf_hashes.subspan(begin, end - begin));
      });
  if (!path.ok()) return path.status();
  return ConsistencyProof{old_size, new_size, std::move(*path)};
}

absl::Status VerifyInclusion(const InclusionProof& proof, const Hash& leaf_hash, const Hash& root) {
  if (proof.sequence < 1 || proof.sequence > proof.tree_size) {
    return absl::InvalidArgumentError(absl::StrCat("inclusion proof: sequence ", proof.sequence,
                                                   " is not in a tree of ", proof.tree_size));
  }
  if (proof.path.size() > kMaxProofHashes) {
    return absl::InvalidArgumentError(absl::StrCat("inclusion proof: ", proof.path.size(),
                                                   " hashes, more than ", kMaxProofHashes));
  }
  // RFC 9162, 2.1.3.2.
  uint64_t fn = proof.sequence - 1;
  uint64_t sn = proof.tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof.path) {
    if (sn == 0) return ProofMismatch("the path is longer than the tree is deep");
    if ((fn & 1) == 1 || fn == sn) {
      r = MerkleNodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = MerkleNodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return ProofMismatch("the path is shorter than the tree is deep");
  if (r != root) return ProofMismatch("the path leads to another root");
  return absl::OkStatus();
}

absl::Status VerifyConsistency(const ConsistencyProof& proof, const Hash& old_root,
                               const Hash& new_root) {
  if (proof.old_size < 1 || proof.old_size > proof.new_size) {
    return absl::InvalidArgumentError(absl::StrCat("consistency proof: sizes ", proof.old_size,
                                                   " and ", proof.new_size,
                                                   " are not 1 <= old <= new"));
  }
  if (proof.path.size() > kMaxProofHashes) {
    return absl::InvalidArgumentError(absl::StrCat("consistency proof: ", proof.path.size(),
                                                   " hashes, more than ", kMaxProofHashes));
  }
  if (proof.old_size == proof.new_size) {
    if (!proof.path.empty()) return ProofMismatch("equal sizes need an empty path");
    if (old_root != new_root) return ProofMismatch("equal sizes with different roots");
    return absl::OkStatus();
  }
  if (proof.path.empty()) return ProofMismatch("the path is empty");
  // RFC 9162, 2.1.4.2.
  std::vector<Hash> path;
  if (std::has_single_bit(proof.old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.path.begin(), proof.path.end());
  uint64_t fn = proof.old_size - 1;
  uint64_t sn = proof.new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return ProofMismatch("the path is longer than the trees are deep");
    if ((fn & 1) == 1 || fn == sn) {
      fr = MerkleNodeHash(c, fr);
      sr = MerkleNodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = MerkleNodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return ProofMismatch("the path is shorter than the trees are deep");
  if (fr != old_root) return ProofMismatch("the path does not lead to the old root");
  if (sr != new_root) return ProofMismatch("the path does not lead to the new root");
  return absl::OkStatus();
}

void MerkleFrontier::Add(const Hash& leaf_hash) {
  Add(leaf_hash, [](uint32_t, uint64_t, const Hash&) {});
}

void MerkleFrontier::Add(
    const Hash& leaf_hash,
    absl::FunctionRef<void(uint32_t level, uint64_t index, const Hash& hash)> on_completed) {
  Hash node = leaf_hash;
  uint64_t index = size_;
  uint32_t level = 0;
  // Each trailing 1 bit of the size is a peak of the same height to merge.
  while ((index & 1) == 1) {
    node = MerkleNodeHash(peaks_.back(), node);
    peaks_.pop_back();
    index >>= 1;
    ++level;
    on_completed(level, index, node);
  }
  peaks_.push_back(node);
  ++size_;
}

Hash MerkleFrontier::Root() const {
  if (peaks_.empty()) return EmptyRoot();
  Hash root = peaks_.back();
  for (size_t i = peaks_.size() - 1; i-- > 0;) root = MerkleNodeHash(peaks_[i], root);
  return root;
}

absl::StatusOr<MerkleFrontier> MerkleFrontier::FromPeaks(uint64_t size, std::vector<Hash> peaks) {
  if (peaks.size() != static_cast<size_t>(std::popcount(size))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a tree of ", size, " leaves has ", std::popcount(size), " peaks, not ", peaks.size()));
  }
  MerkleFrontier frontier;
  frontier.size_ = size;
  frontier.peaks_ = std::move(peaks);
  return frontier;
}

}  // namespace loyalty::audit
