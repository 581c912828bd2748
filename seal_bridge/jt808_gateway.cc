#include "seal_bridge/jt808_gateway.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "seal_bridge/internal/net_util.h"

namespace yardgate::seal {
namespace {

constexpr uint64_t kListenTag = 0;
constexpr uint64_t kWakeTag = 1;
constexpr uint64_t kFirstConnTag = 2;
constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kReadBudget = 256 * 1024;  // per connection per wakeup, for fairness
constexpr int kAcceptsPerWakeup = 256;
constexpr absl::Duration kAlarmRepeat = absl::Minutes(1);
constexpr absl::Duration kSweepInterval = absl::Milliseconds(100);
constexpr size_t kMaxDefaultConnections = 100000;

// Why a connection is not being read (bits of Conn::pause).
enum PauseReason : uint8_t {
  kPauseRate = 1,     // its token bucket ran dry
  kPauseUnacked = 2,  // too many of its reports await the listener's acknowledgement
  kPauseGlobal = 4,   // too many reports await acknowledgement in all
};

// Every counter once: the atomic mirror and the copy in counters() follow from this list.
#define YG_GATEWAY_COUNTERS(X)                                                              \
  X(connections_accepted) X(connections_open) X(connections_rejected)                      \
  X(connections_rejected_per_peer) X(connections_refused_blocked) X(connections_timed_out) \
  X(accept_pauses) X(bytes_in) X(frames_in) X(frames_out) X(bad_checksum) X(bad_length)    \
  X(bad_frames) X(garbage_bytes) X(unauthenticated_frames) X(registrations)                \
  X(unknown_terminals) X(auth_codes_issued) X(auth_code_store_failures) X(authentications) \
  X(auth_failures) X(peers_blocked) X(duplicate_sessions) X(probes_sent)                   \
  X(half_open_closed) X(heartbeats) X(reports) X(unacked_reports) X(backpressure_pauses)   \
  X(throttled) X(flood_cutoffs) X(unlocks_sent) X(unlocks_acknowledged) X(unlocks_failed)  \
  X(unlocks_offline) X(unlocks_expired)

bool PrintableAscii(absl::string_view s, absl::string_view forbidden = "") {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e || forbidden.find(c) != absl::string_view::npos) return false;
  }
  return true;
}

absl::Status ValidateFamily(const std::string& name, const LockFamily& family) {
  if (name.empty() || name.size() > 64 || !PrintableAscii(name)) {
    return absl::InvalidArgumentError("a lock family name must be 1-64 printable ASCII characters");
  }
  const std::string& p = family.unlock_password;
  if (p.empty() || p.size() > 32 || !PrintableAscii(p, ",()")) {
    // Never the password itself in a message.
    return absl::InvalidArgumentError(absl::StrCat(
        "lock family '", name,
        "': the unlock password must be 1-32 printable ASCII characters without ',', '(' or ')'"));
  }
  return absl::OkStatus();
}

absl::Status ValidateAuthCode(absl::string_view code) {
  if (code.size() > 64 || !PrintableAscii(code)) {
    return absl::InvalidArgumentError("an auth code must be 1-64 printable ASCII characters");
  }
  return absl::OkStatus();
}

// Compares a credential in time that depends only on the length of what the device sent.
bool SameSecret(absl::string_view sent, absl::string_view stored) {
  if (stored.empty()) return false;
  uint8_t diff = sent.size() == stored.size() ? 0 : 1;
  for (size_t i = 0; i < sent.size(); ++i) {
    diff |= static_cast<uint8_t>(sent[i] ^ stored[i % stored.size()]);
  }
  return diff == 0;
}

// 64 random bits as 16 hex digits: getrandom, /dev/urandom when that is unavailable.
absl::StatusOr<std::string> RandomAuthCode() {
  uint8_t bytes[8];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  if (got < sizeof(bytes)) {
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    got = 0;
    while (fd >= 0 && got < sizeof(bytes)) {
      ssize_t n = read(fd, bytes + got, sizeof(bytes) - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (fd >= 0) close(fd);
  }
  if (got < sizeof(bytes)) return absl::UnavailableError("no random bytes for an auth code");
  return ToHex(ByteSpan(bytes, sizeof(bytes)));
}

std::string IpName(uint32_t ip) {
  return absl::StrFormat("%d.%d.%d.%d", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

}  // namespace

long RaiseFileDescriptorLimit() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return static_cast<long>(rl.rlim_cur);
}

size_t DefaultMaxConnections(long fd_limit) {
  if (fd_limit <= 0) return 0;
  const long reserve = std::max(fd_limit / 4, std::min<long>(256, fd_limit / 2));
  return std::min(static_cast<size_t>(fd_limit - reserve), kMaxDefaultConnections);
}

// What the loop shares with callbacks that may outlive it (acknowledgements, `stored`,
// unlock requests): they post work here, and posting fails once the gateway stops.
class Inbox {
 public:
  Inbox() : wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Inbox() {
    if (wake_fd_ >= 0) close(wake_fd_);
  }
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  int wake_fd() const { return wake_fd_; }

  // Queues `fn` for the loop thread. False (and `fn` is not run) once stopping.
  bool Post(std::function<void()> fn) {
    bool wake;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return false;
      // The loop takes the whole queue at once: only the first item after a Take needs a
      // wake-up (one eventfd write per batch of acknowledgements, not per report).
      wake = queue_.empty();
      queue_.push_back(std::move(fn));
    }
    if (wake) Wake();
    return true;
  }
  // Stops accepting work; what is queued is still taken.
  void SetStopping() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    Wake();
  }
  // Takes the queued work; `stopping` says whether SetStopping was called.
  std::vector<std::function<void()>> Take(bool* stopping) {
    std::vector<std::function<void()>> work;
    absl::MutexLock lock(&mu_);
    work.swap(queue_);
    *stopping = stopping_;
    return work;
  }
  void Drain() {
    uint64_t v;
    while (read(wake_fd_, &v, sizeof(v)) > 0) {
    }
  }

 private:
  void Wake() {
    uint64_t one = 1;
    ssize_t rc = write(wake_fd_, &one, sizeof(one));
    (void)rc;
  }

  const int wake_fd_;
  absl::Mutex mu_;
  std::vector<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

class Jt808Gateway::Loop {
 public:
  Loop(const Jt808GatewayOptions& options, DeviceListener* listener)
      : options_(options), listener_(listener), inbox_(std::make_shared<Inbox>()) {}

  ~Loop() {
    Stop();
    if (listen_fd_ >= 0) close(listen_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  absl::Status Init() {
    if (options_.lock_families.empty()) {
      return absl::InvalidArgumentError(
          "no lock family configured: the JT/T 808 gateway needs lock_families (each with its "
          "unlock password) from the config before it starts");
    }
    for (const auto& [name, family] : options_.lock_families) {
      absl::Status valid = ValidateFamily(name, family);
      if (!valid.ok()) return valid;
    }
    for (size_t i = 0; i < options_.known_terminals.size(); ++i) {
      absl::Status added = AddKnownTerminal(options_.known_terminals[i]);
      if (!added.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("known terminal #", i, ": ", added.message()));
      }
    }
    max_connections_ = options_.max_connections;
    if (max_connections_ == 0) {
      rlimit rl;
      getrlimit(RLIMIT_NOFILE, &rl);
      max_connections_ = DefaultMaxConnections(static_cast<long>(rl.rlim_cur));
      if (max_connections_ == 0) return absl::FailedPreconditionError("RLIMIT_NOFILE leaves no descriptor for devices");
    }
    absl::StatusOr<sockaddr_in> addr = internal::ParseHostPort(options_.listen);
    if (!addr.ok()) return addr.status();
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) return internal::ErrnoStatus("socket");
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(listen_fd_, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
      return internal::ErrnoStatus(absl::StrCat("bind ", options_.listen));
    }
    if (listen(listen_fd_, 4096) != 0) return internal::ErrnoStatus("listen");
    sockaddr_in bound;
    socklen_t len = sizeof(bound);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = ntohs(bound.sin_port);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return internal::ErrnoStatus("epoll_create1");
    if (inbox_->wake_fd() < 0) return absl::UnavailableError("eventfd failed");
    Watch(listen_fd_, kListenTag, EPOLLIN, EPOLL_CTL_ADD);
    Watch(inbox_->wake_fd(), kWakeTag, EPOLLIN, EPOLL_CTL_ADD);
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  int port() const { return port_; }

  void Stop() {
    inbox_->SetStopping();
    if (thread_.joinable()) thread_.join();
  }

  void SendUnlock(const std::string& device_id, absl::Duration ttl, UnlockCallback cb) {
    // The callback must run even when posting fails, so it is held outside the posted work.
    auto held = std::make_shared<UnlockCallback>(std::move(cb));
    if (!inbox_->Post([this, device_id, ttl, held] { StartUnlock(device_id, ttl, std::move(*held)); })) {
      (*held)(UnlockOutcome::kFailed, "gateway stopped");
    }
  }

  bool IsOnline(const std::string& device_id) const {
    absl::StatusOr<std::string> id = NormalizeTerminalId(device_id);
    if (!id.ok()) return false;
    absl::MutexLock lock(&online_mu_);
    return online_.count(*id) > 0;
  }

  absl::Status AddKnownTerminal(const KnownTerminal& t) {
    absl::StatusOr<std::string> id = NormalizeTerminalId(t.device_id);
    if (!id.ok()) return id.status();
    if (options_.lock_families.count(t.lock_family) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "lock family '", absl::string_view(t.lock_family).substr(0, 64), "' is not configured"));
    }
    if (!t.auth_code.empty()) {
      absl::Status valid = ValidateAuthCode(t.auth_code);
      if (!valid.ok()) return valid;
    }
    absl::MutexLock lock(&known_mu_);
    KnownTerminal& k = known_[*id];
    k.device_id = *id;
    k.lock_family = t.lock_family;
    if (!t.auth_code.empty()) k.auth_code = t.auth_code;
    return absl::OkStatus();
  }

  void RemoveKnownTerminal(const std::string& device_id) {
    absl::StatusOr<std::string> id = NormalizeTerminalId(device_id);
    if (!id.ok()) return;
    {
      absl::MutexLock lock(&known_mu_);
      known_.erase(*id);
    }
    inbox_->Post([this, id = *id] {
      for (auto& [conn_id, c] : conns_) {
        if (c->device_id == id) MarkDead(*c, "terminal removed");
      }
    });
  }

  Jt808GatewayCounters counters() const {
    Jt808GatewayCounters c;
#define YG_COPY(f) c.f = counters_.f.load(std::memory_order_relaxed);
    YG_GATEWAY_COUNTERS(YG_COPY)
#undef YG_COPY
    return c;
  }

 private:
  struct AtomicCounters {
#define YG_DECLARE(f) std::atomic<uint64_t> f{0};
    YG_GATEWAY_COUNTERS(YG_DECLARE)
#undef YG_DECLARE
  };

  struct Conn {
    explicit Conn(size_t max_frame) : framer(max_frame) {}
    uint64_t id = 0;
    int fd = -1;
    uint32_t ip = 0;
    std::string peer;
    Jt808Framer framer;
    Jt808Reassembler reassembler;
    uint64_t garbage_seen = 0;
    Bytes out;
    size_t out_off = 0;
    uint32_t interest = 0;  // the epoll events asked for now
    uint8_t pause = 0;      // PauseReason bits
    bool closing = false;   // close once the output is flushed; nothing more is read
    std::string closing_reason;
    bool dead = false;
    std::string dead_reason;
    std::string device_id;  // set on registration/authentication
    bool authenticated = false;
    bool v2019 = false;
    uint8_t protocol_version = 1;
    std::string wire_phone;  // as the device wrote it (for replies)
    bool phone_is_bcd = true;
    uint16_t out_serial = 0;
    absl::Time created;
    absl::Time last_valid;
    double tokens = 0;
    absl::Time refilled;
    absl::Time over_rate_since = absl::InfiniteFuture();  // the bucket ran dry and has not refilled
    absl::Time probe_deadline = absl::InfiniteFuture();   // a liveness probe awaits an answer
    size_t unacked = 0;  // reports delivered, not yet acknowledged by the listener
  };

  struct PendingUnlock {
    std::string device_id;
    uint64_t conn_id = 0;
    uint16_t command_serial = 0;
    absl::Time deadline;
    UnlockCallback callback;
  };

  struct PeerState {
    size_t connections = 0;
    std::deque<absl::Time> failures;  // within auth_failure_window
    absl::Time blocked_until = absl::InfinitePast();
  };

  struct RegistrationWaiter {
    uint64_t conn_id = 0;
    uint16_t serial = 0;
    Registration registration;
  };
  // A code made for a terminal, waiting for the listener to store it.
  struct Issuance {
    std::string code;
    std::vector<RegistrationWaiter> waiters;
  };

  // What acknowledges one message: its serial, or the serial of each of its packages.
  struct AckPlan {
    uint16_t msg_id = 0;
    std::vector<uint16_t> serials;
    bool done = false;  // already acknowledged on arrival
  };

  static void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

  void Watch(int fd, uint64_t tag, uint32_t events, int op) {
    epoll_event ev;
    ev.events = events;
    ev.data.u64 = tag;
    epoll_ctl(epoll_fd_, op, fd, &ev);
  }

  std::optional<KnownTerminal> Known(const std::string& id) const {
    absl::MutexLock lock(&known_mu_);
    auto it = known_.find(id);
    if (it == known_.end()) return std::nullopt;
    return it->second;
  }

  void Run() {
    std::vector<epoll_event> events(1024);
    absl::Time next_sweep = absl::Now();
    for (;;) {
      const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 50);
      const absl::Time now = absl::Now();
      for (int i = 0; i < n; ++i) {
        const uint64_t tag = events[i].data.u64;
        if (tag == kListenTag) {
          AcceptAll(now);
        } else if (tag == kWakeTag) {
          inbox_->Drain();
        } else {
          HandleConnEvent(tag, events[i].events, now);
        }
      }
      bool stopping = false;
      for (auto& fn : inbox_->Take(&stopping)) fn();
      ResumeThrottled(now);
      if (accept_paused_ && now >= accept_resume_at_) {
        accept_paused_ = false;
        Watch(listen_fd_, kListenTag, EPOLLIN, EPOLL_CTL_MOD);
      }
      Reap();
      if (now >= next_sweep) {
        Sweep(now);
        Reap();
        next_sweep = now + kSweepInterval;
      }
      if (stopping) break;
    }
    // Shutdown: close everything, fail pending unlocks. Nothing queued is waited for.
    for (auto& [id, c] : conns_) MarkDead(*c, "gateway stopping");
    Reap();
    FailAllPending("gateway stopped");
    bool stopping = false;
    for (auto& fn : inbox_->Take(&stopping)) fn();
    FailAllPending("gateway stopped");
  }

  void FailAllPending(const std::string& why) {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, p] : pending) {
      Bump(counters_.unlocks_failed);
      p.callback(UnlockOutcome::kFailed, why);
    }
  }

  void AcceptAll(absl::Time now) {
    for (int i = 0; i < kAcceptsPerWakeup; ++i) {
      sockaddr_in addr;
      socklen_t len = sizeof(addr);
      const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: the backlog stays readable, so polling it now would spin.
          Watch(listen_fd_, kListenTag, 0, EPOLL_CTL_MOD);
          accept_paused_ = true;
          accept_resume_at_ = now + options_.accept_backoff;
          Bump(counters_.accept_pauses);
        }
        return;  // EAGAIN or a transient error
      }
      const uint32_t ip = ntohl(addr.sin_addr.s_addr);
      PeerState& peer = peers_[ip];
      if (peer.blocked_until > now) {
        Bump(counters_.connections_refused_blocked);  // before the peer can see the close
        close(fd);
        continue;
      }
      if (conns_.size() >= max_connections_) {
        Bump(counters_.connections_rejected);  // before the peer can see the close
        close(fd);
        continue;
      }
      if (options_.max_connections_per_peer > 0 && peer.connections >= options_.max_connections_per_peer) {
        Bump(counters_.connections_rejected_per_peer);  // before the peer can see the close
        close(fd);
        continue;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
      auto c = std::make_unique<Conn>(options_.max_frame_bytes);
      c->id = next_conn_id_++;
      c->fd = fd;
      c->ip = ip;
      c->peer = internal::PeerName(addr);
      c->created = c->last_valid = c->refilled = now;
      c->tokens = options_.frame_burst;
      c->interest = EPOLLIN | EPOLLRDHUP;
      Watch(fd, c->id, c->interest, EPOLL_CTL_ADD);
      ++peer.connections;
      conns_.emplace(c->id, std::move(c));
      Bump(counters_.connections_accepted);
      Bump(counters_.connections_open);
    }
  }

  Conn* Find(uint64_t id) {
    auto it = conns_.find(id);
    return it == conns_.end() || it->second->dead ? nullptr : it->second.get();
  }

  void UpdateInterest(Conn& c) {
    uint32_t want = 0;
    if (c.pause == 0 && !c.closing) want |= EPOLLIN | EPOLLRDHUP;
    if (c.out_off < c.out.size()) want |= EPOLLOUT;
    if (want != c.interest) {
      c.interest = want;
      Watch(c.fd, c.id, want, EPOLL_CTL_MOD);
    }
  }

  void Pause(Conn& c, PauseReason why) {
    if (c.pause & why) return;
    c.pause |= why;
    switch (why) {
      case kPauseRate:
        throttled_.insert(c.id);
        Bump(counters_.throttled);
        break;
      case kPauseUnacked:
        Bump(counters_.backpressure_pauses);
        break;
      case kPauseGlobal:
        globally_paused_conns_.push_back(c.id);
        break;
    }
    UpdateInterest(c);
  }

  void Resume(Conn& c, PauseReason why, absl::Time now) {
    if (!(c.pause & why)) return;
    c.pause &= static_cast<uint8_t>(~why);
    if (c.pause == 0) {
      // Time spent paused is the gateway's doing, not the device's silence.
      c.last_valid = std::max(c.last_valid, now);
      if (c.probe_deadline != absl::InfiniteFuture()) c.probe_deadline = now + options_.probe_timeout;
    }
    UpdateInterest(c);
  }

  void HandleConnEvent(uint64_t id, uint32_t events, absl::Time now) {
    Conn* c = Find(id);
    if (c == nullptr) return;
    if (events & EPOLLOUT) Flush(*c);
    if (c->dead || !(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
    if (c->pause != 0 || c->closing) {
      // Not reading it: only a dead socket is acted on.
      if (events & (EPOLLHUP | EPOLLERR)) MarkDead(*c, "peer closed");
      return;
    }
    if (globally_paused_ && c->authenticated) {  // a handshake adds nothing to the backlog
      Pause(*c, kPauseGlobal);
      return;
    }
    ReadFrom(*c, now);
  }

  // Bytes to read next: about what the connection may still send before its token bucket or
  // an unacknowledged cap bites (64 bytes a frame), so a read overshoots a limit by little.
  size_t ReadAllowance(Conn& c, absl::Time now) {
    double frames = kReadChunk;
    if (options_.max_frames_per_second > 0) {
      Refill(c, now);
      frames = std::min(frames, std::max(0.0, c.tokens));
    }
    if (options_.ack_reports_when_durable) {
      const size_t per_device = options_.max_unacked_reports_per_device;
      const size_t global = options_.max_unacked_reports;
      const size_t total = counters_.unacked_reports.load(std::memory_order_relaxed);
      if (per_device > 0) frames = std::min<double>(frames, per_device - std::min(per_device, c.unacked));
      if (global > 0) frames = std::min<double>(frames, global - std::min(global, total));
    }
    return std::clamp<size_t>(static_cast<size_t>(frames) * 64, 256, kReadChunk);
  }

  void ReadFrom(Conn& c, absl::Time now) {
    uint8_t buf[kReadChunk];
    size_t budget = kReadBudget;
    while (budget > 0 && !c.dead && c.pause == 0 && !c.closing) {
      const ssize_t n = read(c.fd, buf, ReadAllowance(c, now));
      if (n > 0) {
        Bump(counters_.bytes_in, static_cast<uint64_t>(n));
        budget -= std::min(budget, static_cast<size_t>(n));
        std::vector<Bytes> contents;
        c.framer.Feed(buf, static_cast<size_t>(n), &contents);
        const uint64_t garbage = c.framer.stats().garbage_bytes + c.framer.stats().discarded_bytes;
        if (garbage > c.garbage_seen) {
          Bump(counters_.garbage_bytes, garbage - c.garbage_seen);
          c.garbage_seen = garbage;
        }
        // Frames already read are handled even if the connection is paused meanwhile: this
        // is the overshoot of one read the header speaks of.
        for (Bytes& content : contents) {
          if (c.dead) break;
          HandleContent(c, content, now);
        }
        continue;
      }
      if (n == 0) {
        MarkDead(c, "peer closed");
        return;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      MarkDead(c, absl::StrCat("read error: ", std::strerror(errno)));
      return;
    }
  }

  // Tops the bucket up for the time since the last refill. A full bucket ends an over-rate
  // episode: the device has kept under its rate for burst / rate seconds.
  void Refill(Conn& c, absl::Time now) {
    const double rate = options_.max_frames_per_second;
    c.tokens = std::min(options_.frame_burst, c.tokens + absl::ToDoubleSeconds(now - c.refilled) * rate);
    c.refilled = now;
    if (c.tokens >= options_.frame_burst) c.over_rate_since = absl::InfiniteFuture();
  }

  void ChargeFrame(Conn& c, absl::Time now) {
    if (options_.max_frames_per_second <= 0) return;
    Refill(c, now);
    c.tokens -= 1;
    if (c.tokens < 1) {
      if (c.over_rate_since == absl::InfiniteFuture()) c.over_rate_since = now;
      Pause(c, kPauseRate);
    }
  }

  void ResumeThrottled(absl::Time now) {
    for (auto it = throttled_.begin(); it != throttled_.end();) {
      Conn* c = Find(*it);
      if (c == nullptr) {
        it = throttled_.erase(it);
        continue;
      }
      Refill(*c, now);
      if (c->tokens >= 1) {
        Resume(*c, kPauseRate, now);
        it = throttled_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void HandleContent(Conn& c, const Bytes& content, absl::Time now) {
    ChargeFrame(c, now);
    absl::StatusOr<Jt808Frame> frame = DecodeFrame(content);
    if (!frame.ok()) {
      switch (frame.status().code()) {
        case absl::StatusCode::kDataLoss: Bump(counters_.bad_checksum); break;
        case absl::StatusCode::kOutOfRange: Bump(counters_.bad_length); break;
        default: Bump(counters_.bad_frames); break;
      }
      return;  // dropped, connection kept; the device will resend
    }
    Bump(counters_.frames_in);
    c.last_valid = now;
    c.probe_deadline = absl::InfiniteFuture();  // any valid frame answers a probe
    const Jt808Header& h = frame->header;
    c.v2019 = h.v2019;
    if (h.v2019) c.protocol_version = h.protocol_version;
    c.wire_phone = h.phone;
    c.phone_is_bcd = h.phone_is_bcd;
    if (h.encryption != 0) {
      Reply(c, h.serial, h.msg_id, kResultUnsupported);
      return;
    }
    AckPlan plan{h.msg_id, {h.serial}, false};
    if (h.subpackaged) {
      if (!options_.ack_reports_when_durable) {
        Reply(c, h.serial, h.msg_id, kResultOk);
        plan.done = true;
      }
      absl::StatusOr<std::optional<Jt808Frame>> whole = c.reassembler.Add(*std::move(frame));
      if (!whole.ok()) {
        Bump(counters_.bad_frames);
        return;
      }
      if (!whole->has_value()) return;
      plan.serials.clear();
      for (uint16_t i = 0; i < (*whole)->header.package_total; ++i) {
        plan.serials.push_back(static_cast<uint16_t>((*whole)->header.serial + i));
      }
      Dispatch(c, **whole, plan, now);
      return;
    }
    Dispatch(c, *frame, plan, now);
  }

  void Send(Conn& c, uint16_t msg_id, const Bytes& body) {
    Jt808Header h;
    h.msg_id = msg_id;
    h.v2019 = c.v2019;
    h.protocol_version = c.protocol_version;
    h.phone = c.wire_phone;
    h.phone_is_bcd = c.phone_is_bcd;
    h.serial = c.out_serial++;
    Bytes wire = EncodeFrame(h, body);
    Bump(counters_.frames_out);
    if (c.out.size() - c.out_off + wire.size() > options_.max_output_bytes) {
      MarkDead(c, "output backlog (device not reading)");
      return;
    }
    c.out.insert(c.out.end(), wire.begin(), wire.end());
    Flush(c);
  }

  void Reply(Conn& c, uint16_t serial, uint16_t msg_id, uint8_t result) {
    Send(c, kPlatformGeneralResponse, EncodeGeneralResponse({serial, msg_id, result}));
  }

  void ReplyPlan(Conn& c, const AckPlan& plan, uint8_t result) {
    if (plan.done) return;
    for (uint16_t serial : plan.serials) Reply(c, serial, plan.msg_id, result);
  }

  void Flush(Conn& c) {
    if (c.dead) return;
    while (c.out_off < c.out.size()) {
      ssize_t n = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      MarkDead(c, absl::StrCat("write error: ", std::strerror(errno)));
      return;
    }
    if (c.out_off == c.out.size()) {
      c.out.clear();
      c.out_off = 0;
      if (c.closing) {
        MarkDead(c, c.closing_reason);
        return;
      }
    } else if (c.out_off > 64 * 1024) {
      c.out.erase(c.out.begin(), c.out.begin() + static_cast<long>(c.out_off));
      c.out_off = 0;
    }
    UpdateInterest(c);
  }

  void CloseAfterFlush(Conn& c, const std::string& reason) {
    c.closing = true;
    c.closing_reason = reason;
    Flush(c);
  }

  // Counts and answers (0x8001 result 2) a body that does not decode; true when it did.
  template <class T>
  bool DecodedOrRefused(const absl::StatusOr<T>& decoded, Conn& c, const AckPlan& plan) {
    if (decoded.ok()) return true;
    Bump(counters_.bad_frames);
    ReplyPlan(c, plan, kResultBadMessage);
    return false;
  }

  void Dispatch(Conn& c, const Jt808Frame& f, const AckPlan& plan, absl::Time now) {
    const Jt808Header& h = f.header;
    auto reply = [&](uint8_t result) { ReplyPlan(c, plan, result); };
    if ((h.msg_id == kRegister || h.msg_id == kAuthenticate) && c.authenticated &&
        h.phone != c.device_id) {
      // One connection, one device: it may not turn into another terminal.
      Bump(counters_.unauthenticated_frames);
      reply(kResultFailed);
      return;
    }
    if (h.msg_id == kRegister) return OnRegister(c, f, plan);
    if (h.msg_id == kAuthenticate) return OnAuthenticate(c, f, plan, now);
    if (!c.authenticated || h.phone != c.device_id) {
      Bump(counters_.unauthenticated_frames);
      if (h.msg_id != kTerminalGeneralResponse) reply(kResultFailed);
      return;
    }
    switch (h.msg_id) {
      case kHeartbeat:
        Bump(counters_.heartbeats);
        reply(kResultOk);
        return;
      case kTerminalGeneralResponse: {
        absl::StatusOr<GeneralResponse> r = DecodeGeneralResponse(f.body);
        if (r.ok()) OnTerminalResponse(c, *r);
        return;
      }
      case kQueryPositionResponse:
        return;  // the answer to a liveness probe: being a valid frame was the point
      case kLocationReport: {
        absl::StatusOr<Location> l = DecodeLocation(f.body);
        if (!DecodedOrRefused(l, c, plan)) return;
        std::function<void()> ack = AckWhenStored(c, plan, 1);
        Deliver(c, *l, false, false, ack);
        return;
      }
      case kBatchLocation: {
        absl::StatusOr<BatchLocation> b = DecodeBatchLocation(f.body);
        if (!DecodedOrRefused(b, c, plan)) return;
        std::function<void()> ack = AckWhenStored(c, plan, b->locations.size());
        for (const Location& l : b->locations) Deliver(c, l, true, b->type == 1, ack);
        return;
      }
      case kUplinkPassThrough: {
        absl::StatusOr<PassThrough> p = DecodePassThrough(f.body);
        if (!DecodedOrRefused(p, c, plan)) return;
        reply(kResultOk);
        std::optional<UnlockReply> u = ParseUnlockReply(*p);
        if (u.has_value()) {
          ResolveUnlock(c.device_id, u->unlocked ? UnlockOutcome::kAcknowledged : UnlockOutcome::kFailed,
                        u->unlocked ? "lock confirmed unlock (P43)"
                                    : absl::StrCat("lock refused unlock (P43), wrong passwords: ",
                                                   u->wrong_password_count));
        } else {
          listener_->OnPassThrough(c.device_id, *p);
        }
        return;
      }
      default:
        reply(kResultUnsupported);
        return;
    }
  }

  void OnRegister(Conn& c, const Jt808Frame& f, const AckPlan& plan) {
    const Jt808Header& h = f.header;
    absl::StatusOr<Registration> r = DecodeRegistration(f.body, h.v2019);
    if (!DecodedOrRefused(r, c, plan)) return;
    const uint16_t serial = plan.serials.front();
    std::optional<KnownTerminal> known = Known(h.phone);
    // Counted before it is answered, so whoever sees the answer sees the count.
    if (!known) {
      OnUnknownTerminal(c, h.phone, "registration");
      Send(c, kRegisterResponse, EncodeRegisterResponse({serial, 4, ""}));
      return;
    }
    if (Conn* live = LiveSessionOtherThan(c, h.phone)) {
      // Registering would hand the newcomer the live terminal's code: "already registered".
      RefuseDuplicateSession(c, *live, absl::Now(),
                             [&] { Send(c, kRegisterResponse, EncodeRegisterResponse({serial, 3, ""})); });
      return;
    }
    c.device_id = h.phone;
    if (!known->auth_code.empty()) {
      if (!options_.reregistration_gets_code) {
        Send(c, kRegisterResponse, EncodeRegisterResponse({serial, 3, ""}));  // terminal already registered
        return;
      }
      AnswerRegistration(c, serial, known->auth_code, known->lock_family, *std::move(r));
      return;
    }
    // A first registration: the code is made here, answered once the listener stored it.
    Issuance& issuance = issuing_[known->device_id];
    issuance.waiters.push_back({c.id, serial, *std::move(r)});
    if (!issuance.code.empty()) return;  // already with the listener
    absl::StatusOr<std::string> code = RandomAuthCode();
    if (!code.ok()) {
      issuing_.erase(known->device_id);
      Bump(counters_.auth_code_store_failures);
      return;
    }
    issuance.code = *code;
    KnownTerminal issued = *known;
    issued.auth_code = *code;
    listener_->OnAuthCodeIssued(
        issued, [inbox = inbox_, this, id = issued.device_id, code = *code](absl::Status stored) {
          inbox->Post([this, id, code, stored] { OnCodeStored(id, code, stored); });
        });
  }

  void OnCodeStored(const std::string& id, const std::string& code, const absl::Status& stored) {
    std::vector<RegistrationWaiter> waiters;
    auto it = issuing_.find(id);
    if (it != issuing_.end() && it->second.code == code) {
      waiters = std::move(it->second.waiters);
      issuing_.erase(it);
    }
    if (!stored.ok()) {
      Bump(counters_.auth_code_store_failures);
      return;  // no answer: the terminal registers again
    }
    std::string current, family;
    {
      absl::MutexLock lock(&known_mu_);
      auto k = known_.find(id);
      if (k == known_.end()) return;  // removed meanwhile
      if (k->second.auth_code.empty()) k->second.auth_code = code;
      current = k->second.auth_code;
      family = k->second.lock_family;
    }
    Bump(counters_.auth_codes_issued);
    for (RegistrationWaiter& w : waiters) {
      Conn* c = Find(w.conn_id);
      if (c != nullptr && c->device_id == id) AnswerRegistration(*c, w.serial, current, family, std::move(w.registration));
    }
  }

  void AnswerRegistration(Conn& c, uint16_t serial, const std::string& code, const std::string& family,
                          Registration registration) {
    Send(c, kRegisterResponse, EncodeRegisterResponse({serial, 0, code}));
    Bump(counters_.registrations);
    listener_->OnRegistered({c.device_id, family, std::move(registration), c.peer});
  }

  void OnAuthenticate(Conn& c, const Jt808Frame& f, const AckPlan& plan, absl::Time now) {
    const Jt808Header& h = f.header;
    absl::StatusOr<Authentication> a = DecodeAuthentication(f.body, h.v2019);
    if (!DecodedOrRefused(a, c, plan)) return;
    std::optional<KnownTerminal> known = Known(h.phone);
    if (!known) {
      OnUnknownTerminal(c, h.phone, "authentication");
      ReplyPlan(c, plan, kResultFailed);
      return;
    }
    if (!SameSecret(a->auth_code, known->auth_code)) {
      RecordAuthFailure(c, now);
      ReplyPlan(c, plan, kResultFailed);
      return;
    }
    if (auto blocked = device_blocked_until_.find(h.phone);
        blocked != device_blocked_until_.end() && blocked->second > now) {
      ReplyPlan(c, plan, kResultFailed);
      CloseAfterFlush(c, "device cut off for flooding, in back-off");
      return;
    }
    if (Conn* live = LiveSessionOtherThan(c, h.phone)) {
      RefuseDuplicateSession(c, *live, now, [&] { ReplyPlan(c, plan, kResultFailed); });
      return;
    }
    c.device_id = h.phone;
    c.authenticated = true;
    by_device_[h.phone] = c.id;
    {
      absl::MutexLock lock(&online_mu_);
      online_.insert(h.phone);
    }
    ReplyPlan(c, plan, kResultOk);
    Bump(counters_.authentications);
    listener_->OnAuthenticated(c.device_id, c.peer);
  }

  void OnUnknownTerminal(Conn& c, const std::string& id, absl::string_view what) {
    Bump(counters_.unknown_terminals);
    const absl::Time now = absl::Now();
    RaiseDeduped(SecurityAlarmKind::kUnknownTerminal, id, c.peer,
                 absl::StrCat(what, " of terminal ", id, " from ", c.peer,
                              " refused: the terminal is not known (no seal names it, no admin registered it)"),
                 now);
    RecordAuthFailure(c, now);
  }

  // The authenticated connection of `device_id` if it is not `c`.
  Conn* LiveSessionOtherThan(const Conn& c, const std::string& device_id) {
    auto live = by_device_.find(device_id);
    if (live == by_device_.end() || live->second == c.id) return nullptr;
    Conn* l = Find(live->second);
    return l != nullptr && l->authenticated ? l : nullptr;
  }

  // The terminal is online on `live`: the newcomer gets `refuse` (its answer), nothing more,
  // and is closed; the live session is probed in case it is half-open.
  void RefuseDuplicateSession(Conn& c, Conn& live, absl::Time now, absl::FunctionRef<void()> refuse) {
    Bump(counters_.duplicate_sessions);  // counted before it is answered
    refuse();
    CloseAfterFlush(c, "duplicate session refused");
    RaiseDeduped(SecurityAlarmKind::kDuplicateSession, live.device_id, c.peer,
                 absl::StrCat("a second connection from ", c.peer, " authenticated as ", live.device_id,
                              ", online from ", live.peer, ": refused, the live session kept"),
                 now);
    if (live.probe_deadline == absl::InfiniteFuture()) {
      Send(live, kQueryPosition, {});
      Bump(counters_.probes_sent);
      live.probe_deadline = now + options_.probe_timeout;
    }
  }

  void RecordAuthFailure(Conn& c, absl::Time now) {
    Bump(counters_.auth_failures);
    if (options_.max_auth_failures_per_peer <= 0) return;
    PeerState& p = peers_[c.ip];
    p.failures.push_back(now);
    while (!p.failures.empty() && p.failures.front() <= now - options_.auth_failure_window) p.failures.pop_front();
    if (p.failures.size() < static_cast<size_t>(options_.max_auth_failures_per_peer) || p.blocked_until > now) return;
    p.blocked_until = now + options_.peer_backoff;
    Bump(counters_.peers_blocked);
    Raise(SecurityAlarmKind::kAuthFailuresRateLimited, "", IpName(c.ip),
          absl::StrCat(p.failures.size(), " failed registrations or authentications within ",
                       absl::FormatDuration(options_.auth_failure_window), "; connections from ",
                       IpName(c.ip), " refused for ", absl::FormatDuration(options_.peer_backoff)),
          now);
    p.failures.clear();
    for (auto& [id, other] : conns_) {
      if (other->ip == c.ip && !other->authenticated) MarkDead(*other, "peer blocked after failed authentications");
    }
  }

  void Raise(SecurityAlarmKind kind, const std::string& device_id, const std::string& peer, std::string detail,
             absl::Time now) {
    listener_->OnSecurityAlarm({kind, device_id, peer, std::move(detail), now});
  }

  // At most one alarm of a kind per terminal (or peer) per kAlarmRepeat.
  void RaiseDeduped(SecurityAlarmKind kind, const std::string& device_id, const std::string& peer,
                    std::string detail, absl::Time now) {
    const std::string key = absl::StrCat(static_cast<int>(kind), ":", device_id.empty() ? peer : device_id);
    auto [it, inserted] = last_alarm_.try_emplace(key, now);
    if (!inserted) {
      if (now - it->second < kAlarmRepeat) return;
      it->second = now;
    }
    Raise(kind, device_id, peer, std::move(detail), now);
  }

  // Acknowledges a report message now, or returns what acknowledges it once each of its
  // `reports` reports has been acknowledged by the listener (ack_reports_when_durable).
  std::function<void()> AckWhenStored(Conn& c, const AckPlan& plan, size_t reports) {
    if (!options_.ack_reports_when_durable || plan.done || reports == 0) {
      ReplyPlan(c, plan, kResultOk);
      return nullptr;
    }
    c.unacked += reports;
    const uint64_t total = counters_.unacked_reports.fetch_add(reports, std::memory_order_relaxed) + reports;
    if (options_.max_unacked_reports_per_device > 0 && c.unacked >= options_.max_unacked_reports_per_device) {
      Pause(c, kPauseUnacked);
    }
    if (options_.max_unacked_reports > 0 && total >= options_.max_unacked_reports && !globally_paused_) {
      globally_paused_ = true;
      Bump(counters_.backpressure_pauses);
      Pause(c, kPauseGlobal);
    }
    auto remaining = std::make_shared<std::atomic<size_t>>(reports);
    return [inbox = inbox_, this, remaining, conn_id = c.id, plan, reports] {
      if (remaining->fetch_sub(1) != 1) return;
      inbox->Post([this, conn_id, plan, reports] { OnReportsStored(conn_id, plan, reports); });
    };
  }

  void OnReportsStored(uint64_t conn_id, const AckPlan& plan, size_t reports) {
    auto it = conns_.find(conn_id);
    if (it == conns_.end()) return;  // closed: its count left the total then
    Conn& c = *it->second;
    const size_t n = std::min(c.unacked, reports);
    c.unacked -= n;
    counters_.unacked_reports.fetch_sub(n, std::memory_order_relaxed);
    if (c.dead) return;
    ReplyPlan(c, plan, kResultOk);
    const absl::Time now = absl::Now();
    if (c.unacked <= options_.max_unacked_reports_per_device / 2) Resume(c, kPauseUnacked, now);
    MaybeResumeGlobal(now);
  }

  void MaybeResumeGlobal(absl::Time now) {
    if (!globally_paused_ ||
        counters_.unacked_reports.load(std::memory_order_relaxed) > options_.max_unacked_reports / 2) {
      return;
    }
    globally_paused_ = false;
    std::vector<uint64_t> paused;
    paused.swap(globally_paused_conns_);
    for (uint64_t id : paused) {
      if (Conn* c = Find(id)) Resume(*c, kPauseGlobal, now);
    }
  }

  void Deliver(Conn& c, const Location& l, bool batch, bool blind, std::function<void()> ack) {
    DeviceReport r = MakeDeviceReport(c.device_id, l, c.v2019, absl::Now(), options_.low_battery_percent);
    r.from_batch = batch;
    r.blind_area = blind;
    r.acknowledge = std::move(ack);
    Bump(counters_.reports);
    if (!batch && r.unlock_result.has_value()) {
      ResolveUnlock(c.device_id,
                    *r.unlock_result == 0 ? UnlockOutcome::kAcknowledged : UnlockOutcome::kFailed,
                    *r.unlock_result == 0 ? "lock reported unlocked (item 0x0B)"
                                          : absl::StrCat("lock refused unlock (item 0x0B result ",
                                                         *r.unlock_result, ")"));
    }
    listener_->OnReport(r);
  }

  void OnTerminalResponse(Conn& c, const GeneralResponse& r) {
    if (r.reply_id != kDownlinkPassThrough || r.result == kResultOk) return;
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->second.conn_id == c.id && it->second.command_serial == r.reply_serial) {
        Finish(it, UnlockOutcome::kFailed, absl::StrCat("terminal answered the unlock with result ", r.result));
        return;
      }
    }
  }

  void StartUnlock(const std::string& device_id, absl::Duration ttl, UnlockCallback cb) {
    absl::StatusOr<std::string> id = NormalizeTerminalId(device_id);
    std::optional<KnownTerminal> known = id.ok() ? Known(*id) : std::nullopt;
    if (!known) {
      Bump(counters_.unlocks_failed);
      cb(UnlockOutcome::kFailed, "the terminal is not known to the gateway");
      return;
    }
    auto it = by_device_.find(*id);
    Conn* c = it == by_device_.end() ? nullptr : Find(it->second);
    if (c == nullptr || !c->authenticated) {
      Bump(counters_.unlocks_offline);
      cb(UnlockOutcome::kDeviceOffline, absl::StrCat("device ", *id, " is not connected"));
      return;
    }
    for (const auto& [pending_id, p] : pending_) {
      if (p.device_id == *id) {
        Bump(counters_.unlocks_failed);
        cb(UnlockOutcome::kFailed, "an unlock is already in progress for this device");
        return;
      }
    }
    PendingUnlock p;
    p.device_id = *id;
    p.conn_id = c->id;
    p.command_serial = c->out_serial;
    p.deadline = absl::Now() + ttl;
    p.callback = std::move(cb);
    pending_.emplace(next_unlock_id_++, std::move(p));
    Bump(counters_.unlocks_sent);
    Send(*c, kDownlinkPassThrough,
         EncodeUnlockCommand(options_.lock_families.at(known->lock_family).unlock_password));
  }

  void ResolveUnlock(const std::string& device_id, UnlockOutcome outcome, const std::string& detail) {
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->second.device_id == device_id) {
        Finish(it, outcome, detail);
        return;
      }
    }
  }

  void Finish(std::map<uint64_t, PendingUnlock>::iterator it, UnlockOutcome outcome,
              const std::string& detail) {
    UnlockCallback cb = std::move(it->second.callback);
    pending_.erase(it);
    switch (outcome) {
      case UnlockOutcome::kAcknowledged: Bump(counters_.unlocks_acknowledged); break;
      case UnlockOutcome::kExpired: Bump(counters_.unlocks_expired); break;
      case UnlockOutcome::kDeviceOffline: Bump(counters_.unlocks_offline); break;
      default: Bump(counters_.unlocks_failed); break;
    }
    cb(outcome, detail);
  }

  void CutOffFlooder(Conn& c, absl::Time now) {
    Bump(counters_.flood_cutoffs);
    const std::string detail = absl::StrFormat(
        "over %g frames/s for %s: cut off, refused for %s", options_.max_frames_per_second,
        absl::FormatDuration(options_.flood_cutoff_after),
        absl::FormatDuration(c.authenticated ? options_.device_backoff : options_.peer_backoff));
    if (c.authenticated) {
      device_blocked_until_[c.device_id] = now + options_.device_backoff;
    } else {
      peers_[c.ip].blocked_until = now + options_.peer_backoff;
    }
    MarkDead(c, "flood: over its frame rate");
    Raise(SecurityAlarmKind::kFloodCutOff, c.authenticated ? c.device_id : "", c.peer, detail, now);
  }

  void Sweep(absl::Time now) {
    for (auto& [id, c] : conns_) {
      if (c->dead) continue;
      if (!c->authenticated && now - c->created > options_.handshake_timeout) {
        Bump(counters_.connections_timed_out);
        MarkDead(*c, "handshake timeout");
        continue;
      }
      if (c->pause == 0 && now - c->last_valid > options_.idle_timeout) {
        Bump(counters_.connections_timed_out);
        MarkDead(*c, "idle timeout");
        continue;
      }
      if (c->pause == 0 && now > c->probe_deadline) {
        Bump(counters_.half_open_closed);
        MarkDead(*c, "no answer to a liveness probe (half-open)");
        continue;
      }
      if (options_.max_frames_per_second > 0 && c->over_rate_since != absl::InfiniteFuture()) {
        Refill(*c, now);
        if (now - c->over_rate_since >= options_.flood_cutoff_after) CutOffFlooder(*c, now);
      }
    }
    for (auto it = pending_.begin(); it != pending_.end();) {
      auto next = std::next(it);
      if (now >= it->second.deadline) Finish(it, UnlockOutcome::kExpired, "no confirmation from the lock within the ttl");
      it = next;
    }
    for (auto it = peers_.begin(); it != peers_.end();) {
      PeerState& p = it->second;
      while (!p.failures.empty() && p.failures.front() <= now - options_.auth_failure_window) p.failures.pop_front();
      it = p.connections == 0 && p.failures.empty() && p.blocked_until <= now ? peers_.erase(it) : std::next(it);
    }
    for (auto it = last_alarm_.begin(); it != last_alarm_.end();) {
      it = now - it->second >= kAlarmRepeat ? last_alarm_.erase(it) : std::next(it);
    }
    for (auto it = device_blocked_until_.begin(); it != device_blocked_until_.end();) {
      it = it->second <= now ? device_blocked_until_.erase(it) : std::next(it);
    }
  }

  void MarkDead(Conn& c, const std::string& reason) {
    if (c.dead) return;
    c.dead = true;
    c.dead_reason = reason;
    dead_.push_back(c.id);
    // Offline from now on, not only once reaped: a condemned connection gets no unlock.
    if (auto d = by_device_.find(c.device_id); c.authenticated && d != by_device_.end() && d->second == c.id) {
      absl::MutexLock lock(&online_mu_);
      online_.erase(c.device_id);
    }
  }

  void Reap() {
    bool reaped = false;
    while (!dead_.empty()) {
      std::vector<uint64_t> dead;
      dead.swap(dead_);
      for (uint64_t id : dead) {
        auto it = conns_.find(id);
        if (it == conns_.end()) continue;
        std::unique_ptr<Conn> c = std::move(it->second);
        conns_.erase(it);
        reaped = true;
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd, nullptr);
        close(c->fd);
        counters_.connections_open.fetch_sub(1, std::memory_order_relaxed);
        counters_.unacked_reports.fetch_sub(c->unacked, std::memory_order_relaxed);
        if (auto p = peers_.find(c->ip); p != peers_.end() && p->second.connections > 0) --p->second.connections;
        for (auto p = pending_.begin(); p != pending_.end();) {
          auto next = std::next(p);
          if (p->second.conn_id == id) {
            Finish(p, UnlockOutcome::kFailed, absl::StrCat("connection closed before confirmation: ", c->dead_reason));
          }
          p = next;
        }
        if (c->authenticated) {
          auto d = by_device_.find(c->device_id);
          if (d != by_device_.end() && d->second == id) by_device_.erase(d);
          listener_->OnDisconnected(c->device_id, c->dead_reason);
        }
      }
    }
    if (reaped) MaybeResumeGlobal(absl::Now());
  }

  const Jt808GatewayOptions options_;
  DeviceListener* const listener_;
  const std::shared_ptr<Inbox> inbox_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int port_ = 0;
  size_t max_connections_ = 0;
  std::thread thread_;
  AtomicCounters counters_;

  mutable absl::Mutex online_mu_;
  std::unordered_set<std::string> online_ ABSL_GUARDED_BY(online_mu_);
  mutable absl::Mutex known_mu_;
  std::unordered_map<std::string, KnownTerminal> known_ ABSL_GUARDED_BY(known_mu_);

  // Loop-thread state.
  uint64_t next_conn_id_ = kFirstConnTag;
  uint64_t next_unlock_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  std::unordered_map<std::string, uint64_t> by_device_;
  std::map<uint64_t, PendingUnlock> pending_;
  std::vector<uint64_t> dead_;
  std::unordered_map<uint32_t, PeerState> peers_;
  std::unordered_map<std::string, Issuance> issuing_;
  std::unordered_map<std::string, absl::Time> device_blocked_until_;
  std::unordered_map<std::string, absl::Time> last_alarm_;
  std::unordered_set<uint64_t> throttled_;
  bool globally_paused_ = false;
  std::vector<uint64_t> globally_paused_conns_;
  bool accept_paused_ = false;
  absl::Time accept_resume_at_;
};

absl::StatusOr<std::unique_ptr<Jt808Gateway>> Jt808Gateway::Start(const Jt808GatewayOptions& options,
                                                                  DeviceListener* listener) {
  auto loop = std::make_unique<Loop>(options, listener);
  absl::Status s = loop->Init();
  if (!s.ok()) return s;
  return std::unique_ptr<Jt808Gateway>(new Jt808Gateway(std::move(loop)));
}

Jt808Gateway::Jt808Gateway(std::unique_ptr<Loop> loop) : loop_(std::move(loop)) {}
Jt808Gateway::~Jt808Gateway() { Stop(); }
int Jt808Gateway::port() const { return loop_->port(); }
void Jt808Gateway::Stop() { loop_->Stop(); }
void Jt808Gateway::SendUnlock(const std::string& device_id, absl::Duration ttl, UnlockCallback cb) {
  loop_->SendUnlock(device_id, ttl, std::move(cb));
}
bool Jt808Gateway::IsOnline(const std::string& device_id) const { return loop_->IsOnline(device_id); }
absl::Status Jt808Gateway::AddKnownTerminal(const KnownTerminal& terminal) {
  return loop_->AddKnownTerminal(terminal);
}
void Jt808Gateway::RemoveKnownTerminal(const std::string& device_id) { loop_->RemoveKnownTerminal(device_id); }
Jt808GatewayCounters Jt808Gateway::counters() const { return loop_->counters(); }

}  // namespace yardgate::seal
