// LOYALTY_CHECK runs in every build; LOYALTY_DCHECK where LOYALTY_ALL_CHECKS
// is defined (the test builds) and compiles to nothing that runs elsewhere.
#include "util/check.h"

#include <string>

#include "gtest/gtest.h"

namespace loyalty {
namespace {

TEST(CheckTest, APassingCheckDoesNothing) {
  int evaluated = 0;
  LOYALTY_CHECK(++evaluated == 1);
  LOYALTY_CHECK_MSG(evaluated == 1, "not shown");
  EXPECT_EQ(evaluated, 1);
}

TEST(CheckTest, AFailingCheckStopsTheProcessNamingTheCondition) {
  EXPECT_DEATH(LOYALTY_CHECK(1 + 1 == 3), "check_test.cc:[0-9]+: invariant broken: 1 \\+ 1 == 3");
}

TEST(CheckTest, AFailingCheckSaysItsMessageWithTheValues) {
  const int points = -5;
  EXPECT_DEATH(LOYALTY_CHECK_MSG(points > 0, "grant of ", points, " points"),
               "invariant broken: points > 0: grant of -5 points");
}

TEST(CheckTest, TheMessageIsBuiltOnlyWhenTheCheckFails) {
  int built = 0;
  const auto message = [&] {
    ++built;
    return std::string("costly");
  };
  LOYALTY_CHECK_MSG(true, message());
  EXPECT_EQ(built, 0);
}

#ifdef LOYALTY_ALL_CHECKS
TEST(CheckTest, ADebugCheckRunsInTheTestBuilds) {
  int evaluated = 0;
  LOYALTY_DCHECK(++evaluated == 1);
  EXPECT_EQ(evaluated, 1);
  EXPECT_DEATH(LOYALTY_DCHECK(evaluated == 2), "invariant broken: evaluated == 2");
}
#endif

}  // namespace
}  // namespace loyalty
