// Invariant checks that run in every build.
//
// `assert` is compiled out wherever NDEBUG is defined, which includes the
// default RelWithDebInfo build the tests run in, so an invariant written as
// `assert` is checked nowhere. These are not:
//
//   LOYALTY_CHECK(cond)         always on. For cheap checks (a comparison, a
//                               size): a broken invariant stops the process
//                               before it writes what follows from it.
//   LOYALTY_CHECK_MSG(cond, m)  the same, with a message (anything
//                               absl::StrCat takes, evaluated only on failure).
//   LOYALTY_DCHECK(cond)        on when the build defines LOYALTY_ALL_CHECKS
//                               (the default whenever the tests are built:
//                               CMake's LOYALTY_ALL_CHECKS option). For checks
//                               that walk a structure, e.g. that a member's
//                               lots add up to the balance.
//
// A check guards the process's own reasoning. Data that comes from outside
// the process (a file on disk, a caller's argument) is input, not an
// invariant: it is answered with an absl::Status, never with a check. So the
// group commit checks the chain it is about to write, and the reads return
// DataLoss for a chain they find broken on disk.
#ifndef LOYALTY_UTIL_CHECK_H_
#define LOYALTY_UTIL_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/base/optimization.h"
#include "absl/strings/str_cat.h"

namespace loyalty::check_internal {

[[noreturn]] inline void Fail(const char* condition, const char* file, int line,
                              const std::string& message) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s%s%s\n", file, line, condition,
               message.empty() ? "" : ": ", message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace loyalty::check_internal

#define LOYALTY_CHECK(condition)                                                    \
  (ABSL_PREDICT_TRUE(condition)                                                     \
       ? static_cast<void>(0)                                                       \
       : ::loyalty::check_internal::Fail(#condition, __FILE__, __LINE__, std::string()))

#define LOYALTY_CHECK_MSG(condition, ...)                                           \
  (ABSL_PREDICT_TRUE(condition)                                                     \
       ? static_cast<void>(0)                                                       \
       : ::loyalty::check_internal::Fail(#condition, __FILE__, __LINE__,            \
                                         ::absl::StrCat(__VA_ARGS__)))

#ifdef LOYALTY_ALL_CHECKS
#define LOYALTY_DCHECK(condition) LOYALTY_CHECK(condition)
#define LOYALTY_DCHECK_MSG(condition, ...) LOYALTY_CHECK_MSG(condition, __VA_ARGS__)
#else
// Not evaluated, but still compiled, so that a check cannot rot.
#define LOYALTY_DCHECK(condition) \
  static_cast<void>(true ? static_cast<void>(0) : LOYALTY_CHECK(condition))
#define LOYALTY_DCHECK_MSG(condition, ...) \
  static_cast<void>(true ? static_cast<void>(0) : LOYALTY_CHECK_MSG(condition, __VA_ARGS__))
#endif

#endif  // LOYALTY_UTIL_CHECK_H_
