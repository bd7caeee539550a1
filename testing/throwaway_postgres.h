// A throwaway PostgreSQL server for the tests of the PostgreSQL ledger:
// testing/throwaway_postgres.sh starts it in a fresh temporary directory
// (initdb, a unix socket there and no TCP, an unprivileged user when run as
// root) and stops and removes it when the test program ends, however it
// ends: a watchdog process, started first and in a session of its own,
// waits for the end of a pipe only this program holds, so an exit, a
// failed assertion, a crash or a kill by ctest's timeout all close it.
//
// One server per test program (starting one takes a second or two); each
// test takes a fresh database of it. A server that cannot start fails the
// test: the tests are never skipped.
//
// Test programs that use it link loyalty_pg_session and define
// LOYALTY_THROWAWAY_POSTGRES as the script's path (ledger/CMakeLists.txt).
#ifndef LOYALTY_TESTING_THROWAWAY_POSTGRES_H_
#define LOYALTY_TESTING_THROWAWAY_POSTGRES_H_

#include <fcntl.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "util/pg_session.h"

namespace loyalty::testing {

class ThrowawayPostgres {
 public:
  // The program's server, started on first use. An error says why it could
  // not start (the script's output is on stderr).
  static absl::StatusOr<ThrowawayPostgres*> Shared() {
    static const auto* const server = new absl::StatusOr<ThrowawayPostgres*>(Start());
    return *server;
  }

  // A new database of the program's server (started on first use): its
  // connection string.
  static absl::StatusOr<std::string> NewSharedDatabase() {
    absl::StatusOr<ThrowawayPostgres*> server = Shared();
    if (!server.ok()) return server.status();
    return (*server)->NewDatabase();
  }

  // The postgresql:// URI of the database a connection string of
  // NewDatabase names (what the tool's --db takes).
  std::string UriOf(const std::string& conninfo) const {
    return absl::StrCat("postgresql:///", conninfo.substr(conninfo.rfind("dbname=") + 7),
                        "?host=", directory_, "/socket&user=loyalty");
  }

  // The connection string of database `name` as the superuser.
  std::string Conninfo(const std::string& name) const {
    return absl::StrCat("host=", directory_, "/socket user=loyalty dbname=", name);
  }

  // Creates an empty database of its own for a test; returns its
  // connection string.
  absl::StatusOr<std::string> NewDatabase() {
    std::lock_guard<std::mutex> lock(admin_mu_);
    const std::string name = absl::StrCat("test_", ++databases_);
    absl::Status created = admin_->Exec(absl::StrCat("CREATE DATABASE ", name));
    if (!created.ok()) return created;
    return Conninfo(name);
  }

  const std::string& directory() const { return directory_; }

 private:
  static absl::StatusOr<ThrowawayPostgres*> Start() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "loyalty-postgres-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return absl::InternalError("mkdtemp failed");
    const std::string script = LOYALTY_THROWAWAY_POSTGRES;
    // The watchdog first, so that even a half-started server is removed.
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
    const pid_t watchdog = fork();
    if (watchdog < 0) return absl::InternalError("fork failed");
    if (watchdog == 0) {
      setsid();  // out of ctest's process group: survives its kill
      dup2(pipe_fds[0], 0);
      const int null_fd = open("/dev/null", O_WRONLY);
      dup2(null_fd, 1);
      dup2(null_fd, 2);
      execl("/bin/sh", "sh", "-c", "cat >/dev/null; exec \"$0\" stop \"$1\"", script.c_str(),
            pattern.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(pipe_fds[0]);
    // pipe_fds[1] stays open, unused, until this process ends.
    const int started =
        std::system(absl::StrCat("'", script, "' start '", pattern, "'").c_str());
    if (started != 0) {
      return absl::UnavailableError(absl::StrCat("the throwaway PostgreSQL server did not start (",
                                                 script, " start ", pattern,
                                                 " exited with status ", started, ")"));
    }
    auto* server = new ThrowawayPostgres(pattern);
    absl::StatusOr<std::unique_ptr<util::PgSession>> admin =
        util::PgSession::Connect(server->Conninfo("postgres"));
    if (!admin.ok()) return admin.status();
    server->admin_ = std::move(*admin);
    return server;
  }

  explicit ThrowawayPostgres(std::string directory) : directory_(std::move(directory)) {}

  const std::string directory_;
  std::mutex admin_mu_;
  std::unique_ptr<util::PgSession> admin_;
  int databases_ = 0;
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTING_THROWAWAY_POSTGRES_H_
