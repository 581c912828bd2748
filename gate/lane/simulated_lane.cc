#include "gate/lane/simulated_lane.h"

#include "absl/strings/str_cat.h"
#include "common/clock.h"

namespace yardgate::gate::lane {

SimulatedLane::SimulatedLane(common::Clock* clock)
    : clock_(clock != nullptr ? clock : common::RealClock::Default()) {}

absl::Status SimulatedLane::CheckLink() const {
  if (!reachable_) return absl::UnavailableError("simulated PLC unreachable");
  if (unresponsive_) return absl::DeadlineExceededError("simulated PLC did not answer");
  return absl::OkStatus();
}

absl::StatusOr<LaneInputs> SimulatedLane::ReadInputs() {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckLink(); !s.ok()) return s;
  if (frozen_) return frozen_inputs_;
  LaneInputs out = inputs_;
  out.read_time = clock_->Now();
  return out;
}

absl::Status SimulatedLane::PulseOpen() {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckLink(); !s.ok()) return s;
  ++open_pulses_;
  commands_.push_back("open");
  return absl::OkStatus();
}

absl::Status SimulatedLane::PulseClose() {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckLink(); !s.ok()) return s;
  ++close_pulses_;
  commands_.push_back("close");
  return absl::OkStatus();
}

absl::Status SimulatedLane::SetLights(Light light) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckLink(); !s.ok()) return s;
  lights_ = light;
  commands_.push_back(absl::StrCat("lights ", LightName(light)));
  return absl::OkStatus();
}

absl::Status SimulatedLane::PulseFaultReset() {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckLink(); !s.ok()) return s;
  ++fault_resets_;
  commands_.push_back("fault_reset");
  return absl::OkStatus();
}

absl::Status SimulatedLane::WriteHeartbeat(uint16_t value) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckLink(); !s.ok()) return s;
  heartbeat_ = value;
  ++heartbeat_writes_;
  return absl::OkStatus();
}

void SimulatedLane::SetInput(bool LaneInputs::*field, bool value) {
  absl::MutexLock lock(&mu_);
  inputs_.*field = value;
}

void SimulatedLane::SetInputs(const LaneInputs& inputs) {
  absl::MutexLock lock(&mu_);
  const absl::Time keep = inputs_.read_time;
  inputs_ = inputs;
  inputs_.read_time = keep;
}

void SimulatedLane::SetReachable(bool reachable) {
  absl::MutexLock lock(&mu_);
  reachable_ = reachable;
}

void SimulatedLane::SetUnresponsive(bool unresponsive) {
  absl::MutexLock lock(&mu_);
  unresponsive_ = unresponsive;
}

void SimulatedLane::SetFrozen(bool frozen) {
  absl::MutexLock lock(&mu_);
  if (frozen && !frozen_) {
    frozen_inputs_ = inputs_;
    frozen_inputs_.read_time = clock_->Now();
  }
  frozen_ = frozen;
}

int SimulatedLane::open_pulses() const {
  absl::MutexLock lock(&mu_);
  return open_pulses_;
}
int SimulatedLane::close_pulses() const {
  absl::MutexLock lock(&mu_);
  return close_pulses_;
}
int SimulatedLane::fault_resets() const {
  absl::MutexLock lock(&mu_);
  return fault_resets_;
}
Light SimulatedLane::lights() const {
  absl::MutexLock lock(&mu_);
  return lights_;
}
uint16_t SimulatedLane::heartbeat() const {
  absl::MutexLock lock(&mu_);
  return heartbeat_;
}
int SimulatedLane::heartbeat_writes() const {
  absl::MutexLock lock(&mu_);
  return heartbeat_writes_;
}
std::vector<std::string> SimulatedLane::commands() const {
  absl::MutexLock lock(&mu_);
  return commands_;
}

}  // namespace yardgate::gate::lane
