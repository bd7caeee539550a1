// LOYALTY_DCHECK in a build without LOYALTY_ALL_CHECKS: compiled (so that it
// cannot rot) but never evaluated.
#undef LOYALTY_ALL_CHECKS
#include "util/check.h"

#include "gtest/gtest.h"

namespace loyalty {
namespace {

TEST(CheckOffTest, ADebugCheckIsNotEvaluatedWithoutAllChecks) {
  int evaluated = 0;
  LOYALTY_DCHECK(++evaluated == 100);
  LOYALTY_DCHECK_MSG(++evaluated == 100, "never ", evaluated);
  EXPECT_EQ(evaluated, 0);
}

TEST(CheckOffTest, ACheckStillRunsWithoutAllChecks) {
  EXPECT_DEATH(LOYALTY_CHECK(false), "invariant broken: false");
}

}  // namespace
}  // namespace loyalty
