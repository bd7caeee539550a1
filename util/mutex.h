// A mutex and a condition variable whose locking clang checks.
//
// Every field a lock guards is declared ABSL_GUARDED_BY(that lock), and
// every function that must be called with it held is declared
// ABSL_EXCLUSIVE_LOCKS_REQUIRED(it), so `-Wthread-safety` (on in every clang
// build: CMakeLists.txt; CI builds with clang in scripts/fuzz.sh) rejects an
// unguarded access at compile time instead of a comment asking for care.
//
// Why not absl::Mutex, which carries the same annotations: Debian's Abseil
// is built without ThreadSanitizer, so TSan cannot see absl::Mutex's
// internal synchronisation and reports races on data it guards. std::mutex
// is built on pthreads, which TSan intercepts; these wrappers only add the
// annotations (as LevelDB's port::Mutex does).
#ifndef LOYALTY_UTIL_MUTEX_H_
#define LOYALTY_UTIL_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"

namespace loyalty {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  // Tells the analysis that the calling code runs with this mutex held, where
  // it cannot see so itself: in a callback that a function holding it passes
  // down (a scan's visitor, a decider's hook). Checks nothing at run time.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds `mu` for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Releases `mu`, sleeps until signalled (or woken spuriously: callers
  // loop on their condition), and holds `mu` again on return.
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // still held: the caller's scope releases it
  }

  // As Wait, for at most `timeout`.
  template <typename Rep, typename Period>
  void WaitFor(Mutex* mu, std::chrono::duration<Rep, Period> timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait_for(lock, timeout);
    lock.release();
  }

  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace loyalty

#endif  // LOYALTY_UTIL_MUTEX_H_
