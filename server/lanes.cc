#include "server/lanes.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gate/lane/simulated_lane.h"

namespace yardgate::server {

namespace lane = gate::lane;

absl::StatusOr<lane::ModbusLaneOptions> ParseModbusUrl(const std::string& url) {
  constexpr absl::string_view kScheme = "modbus://";
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("barrier '", url, "': ", why));
  };
  if (url.rfind(std::string(kScheme), 0) != 0) return bad("expected modbus://HOST:PORT");
  std::string rest = url.substr(kScheme.size());
  std::string query;
  if (const size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  lane::ModbusLaneOptions options;
  const size_t colon = rest.rfind(':');
  options.host = rest.substr(0, colon);
  if (options.host.empty()) return bad("no host");
  if (colon != std::string::npos && !absl::SimpleAtoi(rest.substr(colon + 1), &options.port)) {
    return bad("the port is not a number");
  }
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    int value = 0;
    if (!absl::SimpleAtoi(kv.second, &value)) return bad(absl::StrCat(kv.first, " is not a number"));
    if (kv.first == "unit") {
      options.unit_id = value;
    } else if (kv.first == "base") {
      options.map.base = value;
    } else if (kv.first == "lane") {
      options.map = lane::ModbusRegisterMap::ForLane(value);
    } else if (kv.first == "timeout_ms") {
      options.response_timeout = absl::Milliseconds(value);
    } else {
      return bad(absl::StrCat("unknown parameter '", kv.first, "' (unit, base, lane, timeout_ms)"));
    }
  }
  return options;
}

absl::StatusOr<std::unique_ptr<SupervisedLanes>> SupervisedLanes::Start(const std::vector<LaneConfig>& lanes) {
  std::unique_ptr<SupervisedLanes> self(new SupervisedLanes());
  for (const LaneConfig& config : lanes) {
    std::unique_ptr<lane::LaneController> controller;
    if (config.barrier == "simulator") {
      controller = std::make_unique<lane::SimulatedLane>();
    } else {
      absl::StatusOr<lane::ModbusLaneOptions> options = ParseModbusUrl(config.barrier);
      if (!options.ok()) return options.status();
      absl::StatusOr<std::unique_ptr<lane::ModbusLane>> modbus = lane::ModbusLane::Create(*options);
      if (!modbus.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("lane ", config.id, ": ", modbus.status().message()));
      }
      controller = *std::move(modbus);
    }
    lane::BarrierSupervisorOptions options;
    options.lane_id = config.id;
    SupervisedLanes* raw = self.get();
    self->supervisors_[config.id] = std::make_unique<lane::BarrierSupervisor>(
        std::move(controller), options, [raw](const lane::LaneEvent& e) { raw->OnLaneEvent(e); });
  }
  self->thread_ = std::thread([raw = self.get()] { raw->Loop(); });
  for (auto& [id, supervisor] : self->supervisors_) supervisor->Start();
  // Give every lane its first poll, so that the first truck is not refused for inputs that
  // simply have not been read yet. A PLC that does not answer stays a lane fault.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (auto& [id, supervisor] : self->supervisors_) {
    while (!supervisor->Health().inputs_fresh && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return self;
}

SupervisedLanes::~SupervisedLanes() { Stop(); }

void SupervisedLanes::SetSinks(EventSink events, PassageSink passages) {
  std::lock_guard<std::mutex> lock(mu_);
  events_ = std::move(events);
  passages_ = std::move(passages);
  sinks_set_ = true;
  cv_.notify_all();
}

void SupervisedLanes::Stop() {
  for (auto& [id, supervisor] : supervisors_) supervisor->Stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    sinks_set_ = true;  // let the thread drain and leave even if nobody listened
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

lane::BarrierSupervisor* SupervisedLanes::supervisor(const std::string& lane_id) {
  auto it = supervisors_.find(lane_id);
  return it == supervisors_.end() ? nullptr : it->second.get();
}

absl::Status SupervisedLanes::Ready(const std::string& lane_id) {
  lane::BarrierSupervisor* s = supervisor(lane_id);
  if (s == nullptr) return absl::NotFoundError(absl::StrCat("lane ", lane_id, " has no barrier"));
  return s->CheckReadyToOpen();
}

void SupervisedLanes::Run(const gate::Effect& effect, std::function<void(absl::Status)> done) {
  Post([this, effect, done = std::move(done)] {
    struct Runner {
      SupervisedLanes* self;
      absl::Status operator()(const gate::OpenBarrier& e) const {
        lane::BarrierSupervisor* s = self->supervisor(e.lane_id);
        return s == nullptr ? NoBarrier(e.lane_id) : s->RequestOpen(e.visit_id);
      }
      absl::Status operator()(const gate::ReleaseAllow& e) const {
        lane::BarrierSupervisor* s = self->supervisor(e.lane_id);
        return s == nullptr ? NoBarrier(e.lane_id) : s->ReleaseAllow(e.visit_id);
      }
      absl::Status operator()(const gate::CloseBarrier& e) const {
        lane::BarrierSupervisor* s = self->supervisor(e.lane_id);
        if (s == nullptr) return NoBarrier(e.lane_id);
        return e.visit_id.empty() ? s->RequestClose(e.reason) : s->CancelAllow(e.visit_id, e.reason);
      }
      absl::Status operator()(const gate::ResetLaneFault& e) const {
        lane::BarrierSupervisor* s = self->supervisor(e.lane_id);
        return s == nullptr ? NoBarrier(e.lane_id) : s->ResetFault();
      }
      absl::Status operator()(const gate::UnlockSeal&) const {
        return absl::InvalidArgumentError("an unlock is not a barrier effect");
      }
      static absl::Status NoBarrier(const std::string& lane_id) {
        return absl::NotFoundError(absl::StrCat("lane ", lane_id, " has no barrier"));
      }
    };
    done(std::visit(Runner{this}, effect));
  });
}

void SupervisedLanes::OnLaneEvent(const lane::LaneEvent& le) {
  // On the supervisor's polling thread: hand over and return at once.
  Post([this, le] {
    if (le.kind == lane::LaneEventKind::kVehiclePassed) {
      if (passages_) passages_(le.visit_id);
      return;
    }
    gate::LaneReport report;
    report.lane_id = le.lane_id;
    report.visit_id = le.visit_id;
    report.detail = le.detail;
    switch (le.kind) {
      case lane::LaneEventKind::kOpened:
        report.kind = gate::LaneReport::Kind::kOpened;
        break;
      case lane::LaneEventKind::kClosed:
        report.kind = gate::LaneReport::Kind::kClosed;
        break;
      case lane::LaneEventKind::kFault:
      case lane::LaneEventKind::kFaultCleared:
        report.kind = le.kind == lane::LaneEventKind::kFault ? gate::LaneReport::Kind::kFault
                                                             : gate::LaneReport::Kind::kFaultCleared;
        report.detail = absl::StrCat(lane::LaneFaultName(le.fault), ": ", le.detail);
        break;
      case lane::LaneEventKind::kTailgating:
        report.kind = gate::LaneReport::Kind::kTailgating;
        report.detail = absl::StrCat("TAILGATING: ", le.detail);
        break;
      case lane::LaneEventKind::kVehiclePassed:
        return;
    }
    if (events_) events_(report);
  });
}

void SupervisedLanes::Post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void SupervisedLanes::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return sinks_set_ && (stopping_ || !tasks_.empty()); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace yardgate::server
