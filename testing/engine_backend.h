// Opens the engine under test on the backend the test program was started
// for: RocksDB in the test's directory (the default), or, when the
// environment sets LOYALTY_TEST_BACKEND=postgres (the ctest entry
// engine_test_postgres, engine/CMakeLists.txt), a ledger in a database of
// the program's throwaway PostgreSQL server (testing/throwaway_postgres.h),
// one database per directory, with the projections' checkpoint in the
// directory. So the engine's test suite runs unchanged on both ledgers;
// what only the RocksDB ledger has (its files, their damage, backups) is
// filtered out of the PostgreSQL run.
//
// Test programs that use it link loyalty_pg_session and define
// LOYALTY_THROWAWAY_POSTGRES where LOYALTY_POSTGRES is on.
#ifndef LOYALTY_TESTING_ENGINE_BACKEND_H_
#define LOYALTY_TESTING_ENGINE_BACKEND_H_

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "loyalty/engine.h"
#include "privacy/member_key_store.h"
#ifdef LOYALTY_THROWAWAY_POSTGRES
#include "privacy/postgres_member_key_store.h"
#include "testing/throwaway_postgres.h"
#endif

namespace loyalty::testing {

inline bool EngineTestsOnPostgres() {
  const char* backend = std::getenv("LOYALTY_TEST_BACKEND");
  return backend != nullptr && std::string(backend) == "postgres";
}

// The connection string of the database that stands for `directory` in a
// PostgreSQL run (made on first use).
inline absl::StatusOr<std::string> PostgresDatabaseFor(const std::string& directory) {
#ifdef LOYALTY_THROWAWAY_POSTGRES
  static std::mutex mu;
  static auto* const databases = new std::map<std::string, std::string>();
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = databases->find(directory); it != databases->end()) return it->second;
  absl::StatusOr<std::string> database = ThrowawayPostgres::NewSharedDatabase();
  if (!database.ok()) return database.status();
  (*databases)[directory] = *database;
  return *database;
#else
  return absl::UnimplementedError(
      absl::StrCat("LOYALTY_TEST_BACKEND=postgres, but this build has no PostgreSQL (", directory,
                   ")"));
#endif
}

// Engine::Open on the program's backend (above).
inline absl::StatusOr<std::unique_ptr<Engine>> OpenTestEngine(const std::string& directory,
                                                             EngineOptions options) {
  if (EngineTestsOnPostgres()) {
    absl::StatusOr<std::string> database = PostgresDatabaseFor(directory);
    if (!database.ok()) return database.status();
    options.postgres_uri = *database;
  }
  return Engine::Open(directory, options);
}

// The ledger of the engine OpenTestEngine opened on `directory`, opened on
// its own (as another process would).
inline absl::StatusOr<std::unique_ptr<Ledger>> OpenTestLedger(const std::string& directory,
                                                             const LedgerOptions& options) {
  if (!EngineTestsOnPostgres()) return Ledger::Open(directory, options);
  absl::StatusOr<std::string> database = PostgresDatabaseFor(directory);
  if (!database.ok()) return database.status();
  return Ledger::OpenPostgres(*database, options);
}

// The member key store of the engine OpenTestEngine opened on `directory`:
// DIRECTORY/member-keys, or the member_keys table of its database.
inline absl::StatusOr<std::unique_ptr<privacy::MemberKeyStore>> OpenTestKeyStore(
    const std::string& directory, bool read_only) {
  if (!EngineTestsOnPostgres()) {
    return privacy::MemberKeyStore::Open(directory + "/member-keys", read_only);
  }
  absl::StatusOr<std::string> database = PostgresDatabaseFor(directory);
  if (!database.ok()) return database.status();
#ifdef LOYALTY_THROWAWAY_POSTGRES
  return privacy::OpenPostgresMemberKeyStore(*database, read_only, /*create=*/false);
#else
  return absl::UnimplementedError("this build has no PostgreSQL");
#endif
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTING_ENGINE_BACKEND_H_
