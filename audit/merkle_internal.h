// The RFC 6962 proof recursions, over any source of subtree hashes, so that
// the naive proofs (from every leaf) and the stored tree's proofs (from its
// saved nodes) are one algorithm. Internal to audit/.
#ifndef LOYALTY_AUDIT_MERKLE_INTERNAL_H_
#define LOYALTY_AUDIT_MERKLE_INTERNAL_H_

#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "loyalty/ledger.h"

namespace loyalty::audit::internal {

// The hash of the subtree over leaves [begin, end) (0-based, end > begin).
// The recursions below ask only for subtrees that are perfect (a power of
// two of leaves starting at a multiple of it) or that end at the tree size.
using SubtreeHashFn = absl::FunctionRef<absl::StatusOr<Hash>(uint64_t begin, uint64_t end)>;

// The largest power of two smaller than `n` (n >= 2).
uint64_t SplitPoint(uint64_t n);

// PATH(leaf_index, D[tree_size]), leaf_index < tree_size.
absl::StatusOr<std::vector<Hash>> InclusionPath(uint64_t leaf_index, uint64_t tree_size,
                                                SubtreeHashFn subtree_hash);

// PROOF(old_size, D[new_size]), 1 <= old_size <= new_size.
absl::StatusOr<std::vector<Hash>> ConsistencyPath(uint64_t old_size, uint64_t new_size,
                                                  SubtreeHashFn subtree_hash);

}  // namespace loyalty::audit::internal

#endif  // LOYALTY_AUDIT_MERKLE_INTERNAL_H_
