// Clock: the one time seam of yardgate.
//
// Everything that needs the time (the gate core, the journal that stamps events, the barrier
// supervisor and lane drivers, the seal book) reads it through a Clock, so tests can move
// time on (age an input snapshot past the watchdog, let an appointment window close) without
// sleeping.
//
//   ManualClock clock(absl::FromUnixSeconds(1700000000));
//   clock.Advance(absl::Milliseconds(600));  // inputs are now stale
//
// Thread safety: both implementations are safe to call from any thread.

#ifndef YARDGATE_COMMON_CLOCK_H_
#define YARDGATE_COMMON_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace yardgate::common {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
};

// The wall clock. RealClock::Default() is a process-wide instance that is never destroyed.
class RealClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  static Clock* Default();
};

// A clock that moves only when told to. For tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000)) : now_(start) {}
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;

  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

inline Clock* RealClock::Default() {
  static RealClock* const clock = new RealClock();
  return clock;
}

}  // namespace yardgate::common

#endif  // YARDGATE_COMMON_CLOCK_H_
