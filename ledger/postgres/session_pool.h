// The PostgreSQL ledger's reading sessions: libpq connections are not
// thread-safe, so each read borrows one for its duration. Idle sessions are
// kept for the next read; a lost one is dropped and a new one opened.
#ifndef LOYALTY_LEDGER_POSTGRES_SESSION_POOL_H_
#define LOYALTY_LEDGER_POSTGRES_SESSION_POOL_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "util/mutex.h"
#include "util/pg_session.h"

namespace loyalty::internal {

// Opens a session to the ledger's database as every session of the ledger
// is set up: `read_only` makes every transaction of it read-only on the
// server (SET default_transaction_read_only), so a read-only ledger cannot
// write even by mistake.
absl::StatusOr<std::unique_ptr<util::PgSession>> ConnectLedgerSession(const std::string& conninfo,
                                                                      bool read_only);

class SessionPool {
 public:
  // Idle sessions kept beyond this many are closed.
  static constexpr size_t kMaxIdleSessions = 8;

  SessionPool(std::string conninfo, bool read_only)
      : conninfo_(std::move(conninfo)), read_only_(read_only) {}

  // A borrowed session, given back when the lease ends (closed instead if
  // its connection was lost).
  class Lease {
   public:
    Lease(SessionPool* pool, std::unique_ptr<util::PgSession> session)
        : pool_(pool), session_(std::move(session)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (session_ != nullptr) pool_->GiveBack(std::move(session_));
    }
    util::PgSession& operator*() const { return *session_; }

    // PgSession::Run, once more on a new connection if this one turns out
    // to be lost (an idle session's server may have gone, or failed over,
    // since it was last used). For reads only: a read can be repeated.
    absl::StatusOr<util::PgResult> Run(const std::string& sql, const util::PgParams& params);

   private:
    SessionPool* pool_;
    std::unique_ptr<util::PgSession> session_;
  };

  // An idle session, or a new one (Unavailable, ... if it cannot connect).
  absl::StatusOr<Lease> Borrow();

 private:
  void GiveBack(std::unique_ptr<util::PgSession> session);

  const std::string conninfo_;
  const bool read_only_;
  Mutex mu_;
  std::vector<std::unique_ptr<util::PgSession>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_POSTGRES_SESSION_POOL_H_
