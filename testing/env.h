// Test settings from the environment (the sizes of the failover tests,
// what scripts/pg-cluster.sh passes them).
#ifndef LOYALTY_TESTING_ENV_H_
#define LOYALTY_TESTING_ENV_H_

#include <cstdlib>
#include <string>

namespace loyalty::testing {

// The variable's value, or "" when unset.
inline std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// The variable as a number, or `fallback` when unset or empty.
inline int EnvInt(const char* name, int fallback) {
  const std::string value = Env(name);
  return value.empty() ? fallback : std::atoi(value.c_str());
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTING_ENV_H_
