#include "seal_bridge/elock_simulator.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <functional>
#include <queue>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "seal_bridge/internal/net_util.h"
#include "seal_bridge/jt808_frame.h"
#include "seal_bridge/jt808_messages.h"

namespace yardgate::seal {

class ElockSimulator::Impl {
 public:
  explicit Impl(const ElockSimulatorOptions& o) : options_(o) {
    devices_.resize(static_cast<size_t>(std::max(0, o.devices)));
    for (size_t i = 0; i < devices_.size(); ++i) {
      Device& d = devices_[i];
      d.phone = std::to_string(o.first_phone + i);
      d.lat = o.start_latitude;
      d.lon = o.start_longitude;
      d.flooding = static_cast<int>(i) < o.flood_devices;
    }
  }

  ~Impl() {
    Stop();
    if (epoll_fd_ >= 0) close(epoll_fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
  }

  absl::Status Start() {
    absl::StatusOr<sockaddr_in> addr = internal::ParseHostPort(options_.server);
    if (!addr.ok()) return addr.status();
    server_ = *addr;
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || wake_fd_ < 0) return internal::ErrnoStatus("epoll/eventfd");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 0;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
    start_ = absl::Now();
    const int n = static_cast<int>(devices_.size());
    for (int i = 0; i < n; ++i) {
      absl::Duration offset = n > 1 ? options_.ramp_up * i / n : absl::ZeroDuration();
      timers_.push({start_ + offset, i});
    }
    if (options_.duration > absl::ZeroDuration()) {
      report_until_ = start_ + options_.ramp_up + options_.duration;
      end_ = report_until_ + options_.drain;
    }
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  bool Wait() {
    if (options_.duration <= absl::ZeroDuration()) return false;
    done_.WaitForNotification();
    return true;
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
  }

  void Post(std::function<void()> fn) {
    {
      absl::MutexLock lock(&mu_);
      controls_.push_back(std::move(fn));
    }
    Wake();
  }

  ElockSimulatorStats stats() const {
    ElockSimulatorStats s;
#define YG_COPY(f) s.f = counters_.f.load(std::memory_order_relaxed)
    YG_COPY(connected); YG_COPY(registered); YG_COPY(authenticated); YG_COPY(reports_sent);
    YG_COPY(reports_acked); YG_COPY(reports_nacked); YG_COPY(heartbeats_sent);
    YG_COPY(heartbeats_acked); YG_COPY(unlocks_received); YG_COPY(connect_failures);
    YG_COPY(disconnects); YG_COPY(bad_frames); YG_COPY(registrations_refused);
    YG_COPY(authentications_refused); YG_COPY(probes_answered); YG_COPY(flood_reports_sent);
    YG_COPY(flood_reports_acked);
#undef YG_COPY
    std::vector<uint32_t> lat;
    {
      absl::MutexLock lock(&lat_mu_);
      lat = latencies_;
    }
    s.latency_samples = lat.size();
    if (!lat.empty()) {
      std::sort(lat.begin(), lat.end());
      auto pct = [&](double p) { return static_cast<double>(lat[std::min(lat.size() - 1, static_cast<size_t>(p * lat.size()))]); };
      s.latency_p50_us = pct(0.50);
      s.latency_p90_us = pct(0.90);
      s.latency_p99_us = pct(0.99);
      s.latency_max_us = lat.back();
    }
    return s;
  }

  std::string DeviceId(int i) const { return std::to_string(options_.first_phone + static_cast<uint64_t>(i)); }

  void SetPosition(int i, double lat, double lon) {
    Post([this, i, lat, lon] {
      if (Device* d = At(i)) {
        d->lat = lat;
        d->lon = lon;
        d->fixed_position = true;
      }
    });
  }
  void InjectAlarms(int i, bool rope, bool cover, int battery) {
    Post([this, i, rope, cover, battery] {
      if (Device* d = At(i)) {
        d->rope_cut = rope;
        d->cover_open = cover;
        d->battery = battery;
        if (rope) ++d->rope_cut_count;
      }
    });
  }
  void ReportNow(int i) {
    Post([this, i] {
      if (Device* d = At(i); d != nullptr && d->state == State::kRunning) SendReport(*d, false);
    });
  }

 private:
  enum class State { kIdle, kConnecting, kRegistering, kAuthenticating, kRunning, kClosed };
  struct Device {
    std::string phone;
    bool flooding = false;
    int fd = -1;
    State state = State::kIdle;
    std::unique_ptr<Jt808Framer> framer;
    Bytes out;
    bool want_write = false;
    uint16_t serial = 0;
    std::string auth_code;
    double lat = 0, lon = 0;
    bool fixed_position = false;
    bool rope_cut = false, cover_open = false, locked = true;
    bool last_unlock_opened = false;
    int rope_cut_count = 0;
    int battery = 87;
    absl::Time next_report, next_heartbeat;
    std::unordered_map<uint16_t, absl::Time> in_flight;  // report serial -> send time
  };
  struct Timer {
    absl::Time due;
    int index;
    bool operator>(const Timer& o) const { return due > o.due; }
  };
  struct Counters {
    std::atomic<uint64_t> connected{0}, registered{0}, authenticated{0}, reports_sent{0},
        reports_acked{0}, reports_nacked{0}, heartbeats_sent{0}, heartbeats_acked{0},
        unlocks_received{0}, connect_failures{0}, disconnects{0}, bad_frames{0},
        registrations_refused{0}, authentications_refused{0}, probes_answered{0},
        flood_reports_sent{0}, flood_reports_acked{0};
  };
  static void Bump(std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

  Device* At(int i) { return i >= 0 && static_cast<size_t>(i) < devices_.size() ? &devices_[i] : nullptr; }

  void Wake() {
    uint64_t one = 1;
    ssize_t rc = write(wake_fd_, &one, sizeof(one));
    (void)rc;
  }

  void Run() {
    std::vector<epoll_event> events(1024);
    bool closed_all = false;
    for (;;) {
      absl::Time now = absl::Now();
      int timeout_ms = 50;
      if (!timers_.empty()) {
        timeout_ms = static_cast<int>(std::clamp<int64_t>(
            absl::ToInt64Milliseconds(absl::Ceil(timers_.top().due - now, absl::Milliseconds(1))), 0, 50));
      }
      int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
      for (int i = 0; i < n; ++i) {
        uint64_t tag = events[i].data.u64;
        if (tag == 0) {
          uint64_t v;
          while (read(wake_fd_, &v, sizeof(v)) > 0) {
          }
          continue;
        }
        Device& d = devices_[tag - 1];
        if (d.state == State::kClosed || d.fd < 0) continue;
        if (d.state == State::kConnecting && (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
          OnConnected(d);
          continue;
        }
        if (events[i].events & EPOLLOUT) Flush(d);
        if (d.state != State::kClosed && (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
          ReadFrom(d);
        }
      }
      std::vector<std::function<void()>> controls;
      bool stop;
      {
        absl::MutexLock lock(&mu_);
        controls.swap(controls_);
        stop = stop_;
      }
      for (auto& fn : controls) fn();
      now = absl::Now();
      if (!closed_all) {
        while (!timers_.empty() && timers_.top().due <= now) {
          Timer t = timers_.top();
          timers_.pop();
          OnTimer(devices_[t.index], t.index, now);
        }
      }
      if (end_ != absl::InfiniteFuture() && now >= end_ && !closed_all) {
        CloseAll();
        closed_all = true;
        done_.Notify();
      }
      if (stop) break;
    }
    if (!closed_all) {
      CloseAll();
      if (!done_.HasBeenNotified()) done_.Notify();
    }
  }

  void CloseAll() {
    for (Device& d : devices_) {
      if (d.fd >= 0) {
        close(d.fd);
        d.fd = -1;
      }
      d.state = State::kClosed;
    }
  }

  void OnTimer(Device& d, int index, absl::Time now) {
    if (d.state == State::kIdle) {
      Connect(d, index);
      return;
    }
    if (d.state != State::kRunning) return;
    if (report_until_ != absl::InfiniteFuture() && now >= report_until_) return;
    if (d.flooding) {
      // Keep the socket's send buffer full; TCP paces us to what the gateway reads.
      while (d.out.size() < 64 * 1024) SendReport(d, false, /*flush=*/false);
      Flush(d);
      if (d.state == State::kRunning) timers_.push({now + absl::Milliseconds(1), index});
      return;
    }
    if (now >= d.next_report) {
      SendReport(d, false);
      d.next_report += options_.report_interval;
      if (d.next_report < now) d.next_report = now + options_.report_interval;
    }
    if (options_.heartbeat_interval > absl::ZeroDuration() && now >= d.next_heartbeat) {
      Send(d, kHeartbeat, {});
      Bump(counters_.heartbeats_sent);
      d.next_heartbeat = now + options_.heartbeat_interval;
    }
    absl::Time next = d.next_report;
    if (options_.heartbeat_interval > absl::ZeroDuration()) next = std::min(next, d.next_heartbeat);
    if (d.state == State::kRunning) timers_.push({next, index});
  }

  void Connect(Device& d, int index) {
    d.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (d.fd < 0) {
      Bump(counters_.connect_failures);
      d.state = State::kClosed;
      return;
    }
    int one = 1;
    setsockopt(d.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    d.framer = std::make_unique<Jt808Framer>();
    if (options_.loopback_source_addresses > 0) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      local.sin_addr.s_addr = htonl(0x7f000001u + static_cast<uint32_t>(index % options_.loopback_source_addresses));
      if (bind(d.fd, reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) {
        Bump(counters_.connect_failures);
        Close(d, false);
        return;
      }
    }
    int rc = connect(d.fd, reinterpret_cast<const sockaddr*>(&server_), sizeof(server_));
    if (rc != 0 && errno != EINPROGRESS) {
      Bump(counters_.connect_failures);
      Close(d, false);
      return;
    }
    d.state = State::kConnecting;
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = static_cast<uint64_t>(index) + 1;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, d.fd, &ev);
  }

  void SetWatch(Device& d, bool want_write) {
    d.want_write = want_write;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (want_write ? EPOLLOUT : 0u);
    ev.data.u64 = static_cast<uint64_t>(&d - devices_.data()) + 1;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, d.fd, &ev);
  }

  void OnConnected(Device& d) {
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(d.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      Bump(counters_.connect_failures);
      Close(d, false);
      return;
    }
    Bump(counters_.connected);
    d.state = State::kRegistering;
    SetWatch(d, false);
    Registration r;
    r.province = 44;
    r.city = 300;
    r.maker = "YGSIM";
    r.model = "JT709A-SIM";
    r.terminal_id = d.phone.substr(d.phone.size() > 7 ? d.phone.size() - 7 : 0);
    r.plate_color = 0;
    r.plate = "";
    Send(d, kRegister, EncodeRegistration(r, options_.v2019));
  }

  void Close(Device& d, bool by_peer) {
    if (d.fd >= 0) {
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, d.fd, nullptr);
      close(d.fd);
      d.fd = -1;
    }
    if (by_peer) Bump(counters_.disconnects);
    d.state = State::kClosed;
  }

  void Send(Device& d, uint16_t msg_id, const Bytes& body, bool flush = true) {
    if (d.fd < 0) return;
    Jt808Header h;
    h.msg_id = msg_id;
    h.v2019 = options_.v2019;
    h.protocol_version = 1;
    h.phone = d.phone;
    h.serial = d.serial++;
    Bytes wire = EncodeFrame(h, body);
    d.out.insert(d.out.end(), wire.begin(), wire.end());
    if (flush) Flush(d);
  }

  void Flush(Device& d) {
    size_t off = 0;
    while (off < d.out.size()) {
      ssize_t n = send(d.fd, d.out.data() + off, d.out.size() - off, MSG_NOSIGNAL);
      if (n > 0) {
        off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      d.out.clear();
      Close(d, true);
      return;
    }
    d.out.erase(d.out.begin(), d.out.begin() + static_cast<long>(off));
    if (d.out.empty() == d.want_write) SetWatch(d, !d.out.empty());
  }

  Location CurrentLocation(const Device& d, bool unlock_event) const {
    Location l;
    l.status_bits = 0x2 | (1u << 18);  // fix valid, GPS
    l.latitude = d.lat;
    l.longitude = d.lon;
    l.altitude_m = 12;
    l.speed_kmh = d.fixed_position ? 0 : 40.0;
    l.course_deg = 45;
    l.time = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
    if (unlock_event) l.items.push_back({0x0B, {0x02, static_cast<uint8_t>(d.last_unlock_opened ? 0 : 1)}});
    Bytes d5 = {1, 0x81, 0x30, 0x63, 0x00, 0x01, 0, 0, 0, 0, 0};
    d5.push_back(static_cast<uint8_t>(d.battery));
    d5.push_back(0);
    d5.push_back(d.locked ? 0x00 : 0x20);
    l.items.push_back({0xD5, d5});
    l.items.push_back({0xDA, {static_cast<uint8_t>(d.rope_cut_count >> 8), static_cast<uint8_t>(d.rope_cut_count),
                              static_cast<uint8_t>((d.rope_cut ? 1 : 0) | (d.cover_open ? 8 : 0))}});
    l.items.push_back({0x30, {25}});
    l.items.push_back({0x31, {9}});
    return l;
  }

  void SendReport(Device& d, bool unlock_event, bool flush = true) {
    const Location l = CurrentLocation(d, unlock_event);
    if (d.flooding) {
      Bump(counters_.flood_reports_sent);
    } else {
      d.in_flight[d.serial] = absl::Now();
      Bump(counters_.reports_sent);
    }
    Send(d, kLocationReport, EncodeLocation(l), flush);
    if (!d.fixed_position) {
      d.lat += options_.step_degrees;
      d.lon += options_.step_degrees;
    }
  }

  void ReadFrom(Device& d) {
    uint8_t buf[8192];
    for (;;) {
      ssize_t n = read(d.fd, buf, sizeof(buf));
      if (n > 0) {
        std::vector<Bytes> contents;
        d.framer->Feed(buf, static_cast<size_t>(n), &contents);
        for (const Bytes& c : contents) {
          if (d.state == State::kClosed) return;
          absl::StatusOr<Jt808Frame> f = DecodeFrame(c);
          if (!f.ok()) {
            Bump(counters_.bad_frames);
            continue;
          }
          OnFrame(d, *f);
        }
        if (d.state == State::kClosed) return;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      Close(d, true);
      return;
    }
  }

  void OnFrame(Device& d, const Jt808Frame& f) {
    const int index = static_cast<int>(&d - devices_.data());
    switch (f.header.msg_id) {
      case kRegisterResponse: {
        absl::StatusOr<RegisterResponse> r = DecodeRegisterResponse(f.body);
        if (!r.ok() || r->result != 0) {
          Bump(counters_.registrations_refused);
          Close(d, true);
          return;
        }
        Bump(counters_.registered);
        d.auth_code = r->auth_code;
        d.state = State::kAuthenticating;
        Send(d, kAuthenticate, EncodeAuthentication({d.auth_code, "86" + d.phone, "sim-1.0"}, options_.v2019));
        return;
      }
      case kPlatformGeneralResponse: {
        absl::StatusOr<GeneralResponse> r = DecodeGeneralResponse(f.body);
        if (!r.ok()) return;
        if (r->reply_id == kAuthenticate) {
          if (r->result != 0) {
            Bump(counters_.authentications_refused);
            Close(d, true);
            return;
          }
          Bump(counters_.authenticated);
          d.state = State::kRunning;
          const absl::Time now = absl::Now();
          d.next_report = now;
          d.next_heartbeat = now + options_.heartbeat_interval;
          timers_.push({now, index});
        } else if (r->reply_id == kLocationReport && d.flooding) {
          if (r->result == 0) Bump(counters_.flood_reports_acked);
        } else if (r->reply_id == kLocationReport) {
          auto it = d.in_flight.find(r->reply_serial);
          if (it != d.in_flight.end()) {
            const auto us = absl::ToInt64Microseconds(absl::Now() - it->second);
            d.in_flight.erase(it);
            absl::MutexLock lock(&lat_mu_);
            latencies_.push_back(static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX)));
          }
          Bump(r->result == 0 ? counters_.reports_acked : counters_.reports_nacked);
        } else if (r->reply_id == kHeartbeat) {
          Bump(counters_.heartbeats_acked);
        }
        return;
      }
      case kQueryPosition: {
        Bytes body = {static_cast<uint8_t>(f.header.serial >> 8), static_cast<uint8_t>(f.header.serial)};
        const Bytes location = EncodeLocation(CurrentLocation(d, false));
        body.insert(body.end(), location.begin(), location.end());
        Send(d, kQueryPositionResponse, body);
        Bump(counters_.probes_answered);
        return;
      }
      case kDownlinkPassThrough: {
        Bump(counters_.unlocks_received);
        Send(d, kTerminalGeneralResponse, EncodeGeneralResponse({f.header.serial, kDownlinkPassThrough, 0}));
        absl::StatusOr<PassThrough> p = DecodePassThrough(f.body);
        if (!options_.answer_unlock || !p.ok() || p->type != kVendorPassThroughType) return;
        std::string text(p->payload.begin(), p->payload.end());
        if (text.rfind("(P43,", 0) != 0) return;
        d.last_unlock_opened = options_.unlock_succeeds &&
                               (options_.unlock_password.empty() || text == "(P43," + options_.unlock_password + ")");
        if (d.last_unlock_opened) d.locked = false;
        Send(d, kUplinkPassThrough, EncodeUnlockReply({d.phone, d.last_unlock_opened, d.last_unlock_opened ? 0 : 1}));
        SendReport(d, /*unlock_event=*/true);
        return;
      }
      default:
        return;
    }
  }

  const ElockSimulatorOptions options_;
  sockaddr_in server_{};
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  absl::Time start_;
  absl::Time report_until_ = absl::InfiniteFuture();
  absl::Time end_ = absl::InfiniteFuture();
  std::thread thread_;
  absl::Notification done_;
  Counters counters_;

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::function<void()>> controls_ ABSL_GUARDED_BY(mu_);

  mutable absl::Mutex lat_mu_;
  std::vector<uint32_t> latencies_ ABSL_GUARDED_BY(lat_mu_);

  // Simulator-thread state.
  std::vector<Device> devices_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
};

ElockSimulator::ElockSimulator(const ElockSimulatorOptions& options)
    : impl_(std::make_unique<Impl>(options)) {}
ElockSimulator::~ElockSimulator() { Stop(); }
absl::Status ElockSimulator::Start() { return impl_->Start(); }
bool ElockSimulator::Wait() { return impl_->Wait(); }
void ElockSimulator::Stop() { impl_->Stop(); }
ElockSimulatorStats ElockSimulator::stats() const { return impl_->stats(); }
std::string ElockSimulator::DeviceId(int index) const { return impl_->DeviceId(index); }
void ElockSimulator::SetPosition(int index, double lat, double lon) { impl_->SetPosition(index, lat, lon); }
void ElockSimulator::InjectAlarms(int index, bool rope_cut, bool cover_open, int battery_percent) {
  impl_->InjectAlarms(index, rope_cut, cover_open, battery_percent);
}
void ElockSimulator::ReportNow(int index) { impl_->ReportNow(index); }

}  // namespace yardgate::seal
