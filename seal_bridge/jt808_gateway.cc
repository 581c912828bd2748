#include "seal_bridge/jt808_gateway.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "seal_bridge/internal/net_util.h"

namespace yardgate::seal {
namespace {

constexpr uint64_t kListenTag = 0;
constexpr uint64_t kWakeTag = 1;
constexpr uint64_t kFirstConnTag = 2;

}  // namespace

std::string Jt808Gateway::AuthCodeFor(absl::string_view secret, absl::string_view device_id) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](absl::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(secret);
  mix(":");
  mix(device_id);
  return absl::StrFormat("%012x", h & 0xffffffffffffull);
}

class Jt808Gateway::Loop {
 public:
  Loop(const Jt808GatewayOptions& options, Jt808Listener* listener)
      : options_(options), listener_(listener) {}

  ~Loop() {
    Stop();
    if (listen_fd_ >= 0) close(listen_fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
    if (spare_fd_ >= 0) close(spare_fd_);
  }

  absl::Status Init() {
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
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) return internal::ErrnoStatus("eventfd");
    spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
    Watch(listen_fd_, kListenTag, EPOLLIN, EPOLL_CTL_ADD);
    Watch(wake_fd_, kWakeTag, EPOLLIN, EPOLL_CTL_ADD);
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  int port() const { return port_; }

  void Stop() {
    {
      absl::MutexLock lock(&queue_mu_);
      stopping_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
  }

  void SendUnlock(const std::string& device_id, absl::Duration ttl, UnlockCallback cb,
                  const std::string& password) {
    bool stopped;
    {
      absl::MutexLock lock(&queue_mu_);
      stopped = stopping_;
      if (!stopped) {
        queue_.push_back([this, device_id, ttl, password, cb = std::move(cb)]() mutable {
          StartUnlock(device_id, ttl, std::move(cb), password);
        });
      }
    }
    if (stopped) {
      cb(UnlockOutcome::kFailed, "gateway stopped");
      return;
    }
    Wake();
  }

  bool IsOnline(const std::string& device_id) const {
    absl::MutexLock lock(&online_mu_);
    return online_.count(device_id) > 0;
  }

  Jt808GatewayCounters counters() const {
    Jt808GatewayCounters c;
#define YG_COPY(f) c.f = counters_.f.load(std::memory_order_relaxed)
    YG_COPY(connections_accepted); YG_COPY(connections_open); YG_COPY(connections_rejected);
    YG_COPY(connections_timed_out); YG_COPY(bytes_in); YG_COPY(frames_in); YG_COPY(frames_out);
    YG_COPY(bad_checksum); YG_COPY(bad_length); YG_COPY(bad_frames); YG_COPY(garbage_bytes);
    YG_COPY(unauthenticated_frames); YG_COPY(registrations); YG_COPY(authentications);
    YG_COPY(auth_failures); YG_COPY(heartbeats); YG_COPY(reports); YG_COPY(unlocks_sent);
    YG_COPY(unlocks_acknowledged); YG_COPY(unlocks_failed); YG_COPY(unlocks_offline);
    YG_COPY(unlocks_expired);
#undef YG_COPY
    return c;
  }

 private:
  struct AtomicCounters {
    std::atomic<uint64_t> connections_accepted{0}, connections_open{0}, connections_rejected{0},
        connections_timed_out{0}, bytes_in{0}, frames_in{0}, frames_out{0}, bad_checksum{0},
        bad_length{0}, bad_frames{0}, garbage_bytes{0}, unauthenticated_frames{0},
        registrations{0}, authentications{0}, auth_failures{0}, heartbeats{0}, reports{0},
        unlocks_sent{0}, unlocks_acknowledged{0}, unlocks_failed{0}, unlocks_offline{0},
        unlocks_expired{0};
  };

  struct Conn {
    uint64_t id = 0;
    int fd = -1;
    std::string peer;
    explicit Conn(size_t max_frame) : framer(max_frame) {}
    Jt808Framer framer;
    Jt808Reassembler reassembler;
    uint64_t garbage_seen = 0;
    Bytes out;
    size_t out_off = 0;
    bool want_write = false;
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
  };

  struct PendingUnlock {
    std::string device_id;
    uint64_t conn_id = 0;
    uint16_t command_serial = 0;
    absl::Time deadline;
    UnlockCallback callback;
  };

  static void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

  void Wake() {
    uint64_t one = 1;
    ssize_t rc = write(wake_fd_, &one, sizeof(one));
    (void)rc;
  }

  void Watch(int fd, uint64_t tag, uint32_t events, int op) {
    epoll_event ev;
    ev.events = events;
    ev.data.u64 = tag;
    epoll_ctl(epoll_fd_, op, fd, &ev);
  }

  void Run() {
    std::vector<epoll_event> events(1024);
    absl::Time next_sweep = absl::Now();
    for (;;) {
      int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 50);
      for (int i = 0; i < n; ++i) {
        const uint64_t tag = events[i].data.u64;
        if (tag == kListenTag) {
          AcceptAll();
        } else if (tag == kWakeTag) {
          uint64_t v;
          while (read(wake_fd_, &v, sizeof(v)) > 0) {
          }
        } else {
          HandleConnEvent(tag, events[i].events);
        }
      }
      std::vector<std::function<void()>> work;
      bool stopping;
      {
        absl::MutexLock lock(&queue_mu_);
        work.swap(queue_);
        stopping = stopping_;
      }
      for (auto& fn : work) fn();
      Reap();
      const absl::Time now = absl::Now();
      if (now >= next_sweep) {
        Sweep(now);
        Reap();
        next_sweep = now + absl::Milliseconds(100);
      }
      if (stopping) break;
    }
    // Shutdown: fail pending unlocks, close everything.
    for (auto& [id, c] : conns_) MarkDead(*c, "gateway stopping");
    Reap();
    FailAllPending("gateway stopped");
    std::vector<std::function<void()>> late;
    {
      absl::MutexLock lock(&queue_mu_);
      late.swap(queue_);
    }
    for (auto& fn : late) fn();
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

  void AcceptAll() {
    for (;;) {
      sockaddr_in addr;
      socklen_t len = sizeof(addr);
      int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR) continue;
        if ((errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
          // Out of descriptors: accept and drop, so the backlog does not spin the loop.
          close(spare_fd_);
          int drop = accept(listen_fd_, nullptr, nullptr);
          if (drop >= 0) close(drop);
          spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
          Bump(counters_.connections_rejected);
          continue;
        }
        return;  // EAGAIN or a transient error
      }
      if (conns_.size() >= options_.max_connections) {
        close(fd);
        Bump(counters_.connections_rejected);
        continue;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
      auto c = std::make_unique<Conn>(options_.max_frame_bytes);
      c->id = next_conn_id_++;
      c->fd = fd;
      c->peer = internal::PeerName(addr);
      c->created = c->last_valid = absl::Now();
      Watch(fd, c->id, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
      conns_.emplace(c->id, std::move(c));
      Bump(counters_.connections_accepted);
      Bump(counters_.connections_open);
    }
  }

  Conn* Find(uint64_t id) {
    auto it = conns_.find(id);
    return it == conns_.end() || it->second->dead ? nullptr : it->second.get();
  }

  void HandleConnEvent(uint64_t id, uint32_t events) {
    Conn* c = Find(id);
    if (c == nullptr) return;
    if (events & EPOLLOUT) Flush(*c);
    if (c->dead) return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ReadFrom(*c);
  }

  void ReadFrom(Conn& c) {
    uint8_t buf[16384];
    size_t budget = 256 * 1024;  // fairness: come back later (level-triggered)
    while (budget > 0 && !c.dead) {
      ssize_t n = read(c.fd, buf, sizeof(buf));
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
        for (Bytes& content : contents) {
          if (c.dead) break;
          HandleContent(c, content);
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

  void HandleContent(Conn& c, const Bytes& content) {
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
    c.last_valid = absl::Now();
    const Jt808Header& h = frame->header;
    c.v2019 = h.v2019;
    if (h.v2019) c.protocol_version = h.protocol_version;
    c.wire_phone = h.phone;
    c.phone_is_bcd = h.phone_is_bcd;
    if (h.encryption != 0) {
      Reply(c, h, kResultUnsupported);
      return;
    }
    if (h.subpackaged) {
      Reply(c, h, kResultOk);  // each package is acknowledged
      absl::StatusOr<std::optional<Jt808Frame>> whole = c.reassembler.Add(*std::move(frame));
      if (!whole.ok()) {
        Bump(counters_.bad_frames);
        return;
      }
      if (whole->has_value()) Dispatch(c, **whole, /*acked=*/true);
      return;
    }
    Dispatch(c, *frame, /*acked=*/false);
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

  void Reply(Conn& c, const Jt808Header& h, uint8_t result) {
    Send(c, kPlatformGeneralResponse, EncodeGeneralResponse({h.serial, h.msg_id, result}));
  }

  void Flush(Conn& c) {
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
    } else if (c.out_off > 64 * 1024) {
      c.out.erase(c.out.begin(), c.out.begin() + static_cast<long>(c.out_off));
      c.out_off = 0;
    }
    const bool want = !c.out.empty();
    if (want != c.want_write) {
      c.want_write = want;
      Watch(c.fd, c.id, EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u), EPOLL_CTL_MOD);
    }
  }

  void Dispatch(Conn& c, const Jt808Frame& f, bool acked) {
    const Jt808Header& h = f.header;
    auto reply = [&](uint8_t result) {
      if (!acked) Reply(c, h, result);
    };
    if ((h.msg_id == kRegister || h.msg_id == kAuthenticate) && c.authenticated &&
        h.phone != c.device_id) {
      // One connection, one device: it may not turn into another terminal.
      Bump(counters_.unauthenticated_frames);
      reply(kResultFailed);
      return;
    }
    if (h.msg_id == kRegister) {
      absl::StatusOr<Registration> r = DecodeRegistration(f.body, h.v2019);
      if (!r.ok()) {
        Bump(counters_.bad_frames);
        reply(kResultBadMessage);
        return;
      }
      DeviceRegistration reg;
      reg.device_id = h.phone;
      reg.registration = *std::move(r);
      reg.auth_code = Jt808Gateway::AuthCodeFor(options_.auth_secret, h.phone);
      reg.peer = c.peer;
      if (options_.accept_registration && !options_.accept_registration(reg)) {
        Bump(counters_.auth_failures);
        Send(c, kRegisterResponse, EncodeRegisterResponse({h.serial, 4, ""}));
        return;
      }
      c.device_id = h.phone;
      Send(c, kRegisterResponse, EncodeRegisterResponse({h.serial, 0, reg.auth_code}));
      Bump(counters_.registrations);
      listener_->OnRegistered(reg);
      return;
    }
    if (h.msg_id == kAuthenticate) {
      absl::StatusOr<Authentication> a = DecodeAuthentication(f.body, h.v2019);
      if (!a.ok()) {
        Bump(counters_.bad_frames);
        reply(kResultBadMessage);
        return;
      }
      if (a->auth_code != Jt808Gateway::AuthCodeFor(options_.auth_secret, h.phone)) {
        Bump(counters_.auth_failures);
        reply(kResultFailed);
        return;
      }
      Authenticate(c, h.phone);
      reply(kResultOk);
      Bump(counters_.authentications);
      listener_->OnAuthenticated(c.device_id, c.peer);
      return;
    }
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
      case kLocationReport: {
        absl::StatusOr<Location> l = DecodeLocation(f.body);
        if (!l.ok()) {
          Bump(counters_.bad_frames);
          reply(kResultBadMessage);
          return;
        }
        std::function<void()> ack = DeferAck(c, h, acked, 1, reply);
        Deliver(c, *l, false, false, ack);
        return;
      }
      case kBatchLocation: {
        absl::StatusOr<BatchLocation> b = DecodeBatchLocation(f.body);
        if (!b.ok()) {
          Bump(counters_.bad_frames);
          reply(kResultBadMessage);
          return;
        }
        std::function<void()> ack = DeferAck(c, h, acked, b->locations.size(), reply);
        for (const Location& l : b->locations) Deliver(c, l, true, b->type == 1, ack);
        return;
      }
      case kUplinkPassThrough: {
        absl::StatusOr<PassThrough> p = DecodePassThrough(f.body);
        if (!p.ok()) {
          Bump(counters_.bad_frames);
          reply(kResultBadMessage);
          return;
        }
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

  void Authenticate(Conn& c, const std::string& device_id) {
    auto it = by_device_.find(device_id);
    if (it != by_device_.end() && it->second != c.id) {
      // The device reconnected: the old connection is half-open or stale.
      if (Conn* old = Find(it->second)) MarkDead(*old, "replaced by a new connection");
    }
    c.device_id = device_id;
    c.authenticated = true;
    by_device_[device_id] = c.id;
    absl::MutexLock lock(&online_mu_);
    online_.insert(device_id);
  }

  // Acknowledges a report frame now, or returns what acknowledges it once each of its
  // `reports` reports has been acknowledged by the listener (ack_reports_when_durable).
  template <class ReplyNow>
  std::function<void()> DeferAck(Conn& c, const Jt808Header& h, bool acked, size_t reports,
                                 const ReplyNow& reply) {
    if (!options_.ack_reports_when_durable || acked || reports == 0) {
      reply(kResultOk);
      return nullptr;
    }
    auto remaining = std::make_shared<std::atomic<size_t>>(reports);
    return [this, remaining, conn_id = c.id, h] {
      if (remaining->fetch_sub(1) != 1) return;
      absl::MutexLock lock(&queue_mu_);
      if (stopping_) return;  // the device resends it to the next platform
      queue_.push_back([this, conn_id, h] {
        if (Conn* conn = Find(conn_id); conn != nullptr && !conn->dead) Reply(*conn, h, kResultOk);
      });
      Wake();
    };
  }

  void Deliver(Conn& c, const Location& l, bool batch, bool blind, std::function<void()> ack) {
    DeviceReport r = MakeDeviceReport(c.device_id, l, c.v2019, absl::Now(),
                                      options_.low_battery_percent);
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

  void StartUnlock(const std::string& device_id, absl::Duration ttl, UnlockCallback cb,
                   const std::string& password) {
    auto it = by_device_.find(device_id);
    Conn* c = it == by_device_.end() ? nullptr : Find(it->second);
    if (c == nullptr || !c->authenticated) {
      Bump(counters_.unlocks_offline);
      cb(UnlockOutcome::kDeviceOffline, absl::StrCat("device ", device_id, " is not connected"));
      return;
    }
    for (const auto& [id, p] : pending_) {
      if (p.device_id == device_id) {
        Bump(counters_.unlocks_failed);
        cb(UnlockOutcome::kFailed, "an unlock is already in progress for this device");
        return;
      }
    }
    PendingUnlock p;
    p.device_id = device_id;
    p.conn_id = c->id;
    p.command_serial = c->out_serial;
    p.deadline = absl::Now() + ttl;
    p.callback = std::move(cb);
    const uint64_t id = next_unlock_id_++;
    pending_.emplace(id, std::move(p));
    Bump(counters_.unlocks_sent);
    Send(*c, kDownlinkPassThrough,
         EncodeUnlockCommand(password.empty() ? options_.unlock_password : password));
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

  void Sweep(absl::Time now) {
    for (auto& [id, c] : conns_) {
      if (c->dead) continue;
      if (!c->authenticated && now - c->created > options_.handshake_timeout) {
        Bump(counters_.connections_timed_out);
        MarkDead(*c, "handshake timeout");
      } else if (now - c->last_valid > options_.idle_timeout) {
        Bump(counters_.connections_timed_out);
        MarkDead(*c, "idle timeout");
      }
    }
    for (auto it = pending_.begin(); it != pending_.end();) {
      auto next = std::next(it);
      if (now >= it->second.deadline) Finish(it, UnlockOutcome::kExpired, "no confirmation from the lock within the ttl");
      it = next;
    }
  }

  void MarkDead(Conn& c, const std::string& reason) {
    if (c.dead) return;
    c.dead = true;
    c.dead_reason = reason;
    dead_.push_back(c.id);
  }

  void Reap() {
    while (!dead_.empty()) {
      std::vector<uint64_t> dead;
      dead.swap(dead_);
      for (uint64_t id : dead) {
        auto it = conns_.find(id);
        if (it == conns_.end()) continue;
        std::unique_ptr<Conn> c = std::move(it->second);
        conns_.erase(it);
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd, nullptr);
        close(c->fd);
        counters_.connections_open.fetch_sub(1, std::memory_order_relaxed);
        for (auto p = pending_.begin(); p != pending_.end();) {
          auto next = std::next(p);
          if (p->second.conn_id == id) {
            Finish(p, UnlockOutcome::kFailed, absl::StrCat("connection closed before confirmation: ", c->dead_reason));
          }
          p = next;
        }
        if (c->authenticated) {
          auto d = by_device_.find(c->device_id);
          if (d != by_device_.end() && d->second == id) {
            by_device_.erase(d);
            {
              absl::MutexLock lock(&online_mu_);
              online_.erase(c->device_id);
            }
          }
          listener_->OnDisconnected(c->device_id, c->dead_reason);
        }
      }
    }
  }

  const Jt808GatewayOptions options_;
  Jt808Listener* const listener_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int spare_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  AtomicCounters counters_;

  absl::Mutex queue_mu_;
  std::vector<std::function<void()>> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;

  mutable absl::Mutex online_mu_;
  std::unordered_set<std::string> online_ ABSL_GUARDED_BY(online_mu_);

  // Loop-thread state.
  uint64_t next_conn_id_ = kFirstConnTag;
  uint64_t next_unlock_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  std::unordered_map<std::string, uint64_t> by_device_;
  std::map<uint64_t, PendingUnlock> pending_;
  std::vector<uint64_t> dead_;
};

absl::StatusOr<std::unique_ptr<Jt808Gateway>> Jt808Gateway::Start(const Jt808GatewayOptions& options,
                                                                  Jt808Listener* listener) {
  auto loop = std::make_unique<Loop>(options, listener);
  absl::Status s = loop->Init();
  if (!s.ok()) return s;
  return std::unique_ptr<Jt808Gateway>(new Jt808Gateway(std::move(loop)));
}

Jt808Gateway::Jt808Gateway(std::unique_ptr<Loop> loop) : loop_(std::move(loop)) {}
Jt808Gateway::~Jt808Gateway() { Stop(); }
int Jt808Gateway::port() const { return loop_->port(); }
void Jt808Gateway::Stop() { loop_->Stop(); }
void Jt808Gateway::SendUnlock(const std::string& device_id, absl::Duration ttl, UnlockCallback cb,
                              const std::string& password) {
  loop_->SendUnlock(device_id, ttl, std::move(cb), password);
}
bool Jt808Gateway::IsOnline(const std::string& device_id) const { return loop_->IsOnline(device_id); }
Jt808GatewayCounters Jt808Gateway::counters() const { return loop_->counters(); }

}  // namespace yardgate::seal
