#include "gate/lane/modbus_lane.h"

#include <modbus/modbus.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"

namespace yardgate::gate::lane {
namespace {

constexpr int kMaxAddress = 65535;

struct NamedInput {
  const char* name;
  ModbusInput ModbusRegisterMap::*input;
  bool LaneInputs::*field;
};

constexpr NamedInput kInputs[] = {
    {"arming_loop", &ModbusRegisterMap::arming_loop, &LaneInputs::arming_loop},
    {"safety_loop", &ModbusRegisterMap::safety_loop, &LaneInputs::safety_loop},
    {"closing_loop", &ModbusRegisterMap::closing_loop, &LaneInputs::closing_loop},
    {"photo_eye", &ModbusRegisterMap::photo_eye, &LaneInputs::photo_eye},
    {"arm_up", &ModbusRegisterMap::arm_up, &LaneInputs::arm_up},
    {"arm_down", &ModbusRegisterMap::arm_down, &LaneInputs::arm_down},
    {"loop_fault", &ModbusRegisterMap::loop_fault, &LaneInputs::loop_fault},
    {"estop", &ModbusRegisterMap::estop, &LaneInputs::estop},
    {"manual_key", &ModbusRegisterMap::manual_key, &LaneInputs::manual_key},
};

bool IsModbusException(int err) { return err >= EMBXILFUN && err <= EMBXGTAR; }

}  // namespace

ModbusRegisterMap ModbusRegisterMap::ForLane(int lane_index) {
  ModbusRegisterMap map;
  map.base = lane_index * 32;
  return map;
}

absl::Status ModbusRegisterMap::Validate() const {
  if (base < 0 || base > kMaxAddress) {
    return absl::InvalidArgumentError(absl::StrCat("register map base ", base, " out of 0..65535"));
  }
  auto check = [this](const char* name, int offset, bool required) -> absl::Status {
    if (offset == -1 && !required) return absl::OkStatus();
    if (offset < 0 || base + offset > kMaxAddress) {
      return absl::InvalidArgumentError(absl::StrCat("register map ", name, " offset ", offset,
                                                     " with base ", base, " out of 0..65535"));
    }
    return absl::OkStatus();
  };
  struct Coil {
    const char* name;
    int offset;
    bool required;
  };
  const Coil coils[] = {{"open_coil", open_coil, true},
                        {"close_coil", close_coil, true},
                        {"red_coil", red_coil, true},
                        {"amber_coil", amber_coil, true},
                        {"green_coil", green_coil, true},
                        {"horn_coil", horn_coil, false},
                        {"fault_reset_coil", fault_reset_coil, false}};
  for (const Coil& coil : coils) {
    if (absl::Status s = check(coil.name, coil.offset, coil.required); !s.ok()) return s;
  }
  for (size_t i = 0; i < std::size(coils); ++i) {
    for (size_t j = i + 1; j < std::size(coils); ++j) {
      if (coils[i].offset != -1 && coils[i].offset == coils[j].offset) {
        return absl::InvalidArgumentError(absl::StrCat("register map ", coils[i].name, " and ",
                                                       coils[j].name, " share coil offset ",
                                                       coils[i].offset));
      }
    }
  }
  for (const NamedInput& in : kInputs) {
    if (absl::Status s = check(in.name, (this->*in.input).offset, true); !s.ok()) return s;
  }
  if (absl::Status s = check("heartbeat_register", heartbeat_register, true); !s.ok()) return s;
  if (absl::Status s = check("led_message_register", led_message_register, false); !s.ok()) {
    return s;
  }
  if (absl::Status s = check("pulse_width_register", pulse_width_register, false); !s.ok()) {
    return s;
  }
  if (heartbeat_register == led_message_register || heartbeat_register == pulse_width_register) {
    return absl::InvalidArgumentError(absl::StrCat(
        "register map heartbeat_register ", heartbeat_register, " shares a holding register"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ModbusLane>> ModbusLane::Create(ModbusLaneOptions options) {
  if (absl::Status s = options.map.Validate(); !s.ok()) return s;
  if (options.port <= 0 || options.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("Modbus port ", options.port, " out of 1..65535"));
  }
  if (options.unit_id < 0 || options.unit_id > 255) {
    return absl::InvalidArgumentError(absl::StrCat("Modbus unit id ", options.unit_id, " out of 0..255"));
  }
  if (options.response_timeout <= absl::ZeroDuration() ||
      options.pulse_width <= absl::ZeroDuration() ||
      options.reconnect_backoff_initial <= absl::ZeroDuration() ||
      options.reconnect_backoff_max < options.reconnect_backoff_initial) {
    return absl::InvalidArgumentError(
        "Modbus response_timeout, pulse_width and reconnect backoff must be positive, "
        "with reconnect_backoff_max >= reconnect_backoff_initial");
  }
  modbus_t* ctx = modbus_new_tcp(options.host.c_str(), options.port);
  if (ctx == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("modbus_new_tcp(", options.host, ", ",
                                                   options.port, "): ", modbus_strerror(errno)));
  }
  const int64_t usec = absl::ToInt64Microseconds(options.response_timeout);
  modbus_set_response_timeout(ctx, static_cast<uint32_t>(usec / 1'000'000),
                              static_cast<uint32_t>(usec % 1'000'000));
  if (modbus_set_slave(ctx, options.unit_id) == -1) {
    modbus_free(ctx);
    return absl::InvalidArgumentError(absl::StrCat("Modbus unit id ", options.unit_id, ": ",
                                                   modbus_strerror(errno)));
  }
  common::Clock* clock = options.clock != nullptr ? options.clock : common::RealClock::Default();
  return std::unique_ptr<ModbusLane>(new ModbusLane(std::move(options), clock, ctx));
}

ModbusLane::ModbusLane(ModbusLaneOptions options, common::Clock* clock, modbus_t* ctx)
    : options_(std::move(options)),
      clock_(clock),
      description_(absl::StrCat("modbus ", options_.host, ":", options_.port, " unit ",
                                options_.unit_id, " base ", options_.map.base)),
      ctx_(ctx),
      backoff_(options_.reconnect_backoff_initial) {}

ModbusLane::~ModbusLane() {
  absl::MutexLock lock(&mu_);
  DisconnectLocked();
  modbus_free(ctx_);
}

std::string ModbusLane::Describe() const { return description_; }

bool ModbusLane::connected() const {
  absl::MutexLock lock(&mu_);
  return connected_;
}

int ModbusLane::connects() const {
  absl::MutexLock lock(&mu_);
  return connects_;
}

void ModbusLane::DisconnectLocked() {
  if (connected_) modbus_close(ctx_);
  connected_ = false;
}

absl::Status ModbusLane::ConnectLocked() {
  const absl::Time now = clock_->Now();
  if (now < next_connect_) {
    return absl::UnavailableError(absl::StrCat(
        "PLC unreachable (", last_connect_error_, "); next connect attempt in ",
        absl::ToInt64Milliseconds(next_connect_ - now), " ms"));
  }
  if (modbus_connect(ctx_) == -1) {
    const std::string error = absl::StrCat("connect: ", modbus_strerror(errno));
    modbus_close(ctx_);
    BackOffLocked(error);
    return absl::UnavailableError(absl::StrCat("PLC unreachable (", error, ")"));
  }
  connected_ = true;
  ++connects_;
  next_connect_ = absl::InfinitePast();
  if (options_.map.pulse_width_register != -1) {
    const int64_t ms = std::clamp<int64_t>(absl::ToInt64Milliseconds(options_.pulse_width), 1, 65535);
    // Best effort: a PLC that refuses the register times nothing itself, and the
    // driver releases pulses anyway. Only a lost link is an error here.
    if (absl::Status s = WriteRegisterLocked(options_.map.pulse_width_register,
                                             static_cast<uint16_t>(ms), "pulse width register");
        !s.ok() && !absl::IsFailedPrecondition(s)) {
      return s;
    }
  }
  return absl::OkStatus();
}

void ModbusLane::BackOffLocked(const std::string& error) {
  last_connect_error_ = error;
  next_connect_ = clock_->Now() + backoff_;
  backoff_ = std::min(backoff_ * 2, options_.reconnect_backoff_max);
}

absl::Status ModbusLane::PrepareLocked() {
  if (!connected_) {
    if (absl::Status s = ConnectLocked(); !s.ok()) return s;
  }
  return ReleaseDuePulsesLocked();
}

absl::Status ModbusLane::FailLocked(const std::string& what) {
  const int err = errno;
  const std::string message = absl::StrCat(what, ": ", modbus_strerror(err));
  if (IsModbusException(err)) {
    // The PLC answered and refused: the link is fine, the map or the PLC program is not.
    return absl::FailedPreconditionError(absl::StrCat("PLC refused ", message));
  }
  DisconnectLocked();
  BackOffLocked(message);
  if (err == ETIMEDOUT) {
    return absl::DeadlineExceededError(absl::StrCat("PLC did not answer ", message));
  }
  return absl::UnavailableError(absl::StrCat("PLC link lost on ", message));
}

absl::Status ModbusLane::WriteCoilLocked(int offset, bool on, const char* name) {
  const int address = options_.map.base + offset;
  if (modbus_write_bit(ctx_, address, on ? 1 : 0) == -1) {
    return FailLocked(absl::StrCat("write ", name, " coil ", address, "=", on ? 1 : 0));
  }
  return absl::OkStatus();
}

absl::Status ModbusLane::WriteRegisterLocked(int offset, uint16_t value, const char* name) {
  const int address = options_.map.base + offset;
  if (modbus_write_register(ctx_, address, value) == -1) {
    return FailLocked(absl::StrCat("write ", name, " ", address, "=", value));
  }
  return absl::OkStatus();
}

absl::Status ModbusLane::ReleaseDuePulsesLocked() {
  const absl::Time now = clock_->Now();
  struct Pending {
    absl::Time* release_at;
    int offset;
    const char* name;
  };
  const Pending pending[] = {{&open_release_, options_.map.open_coil, "open"},
                             {&close_release_, options_.map.close_coil, "close"},
                             {&reset_release_, options_.map.fault_reset_coil, "fault reset"}};
  for (const Pending& p : pending) {
    if (now < *p.release_at) continue;
    if (absl::Status s = WriteCoilLocked(p.offset, false, p.name); !s.ok()) return s;
    *p.release_at = absl::InfiniteFuture();
  }
  return absl::OkStatus();
}

absl::Status ModbusLane::PulseLocked(int offset, const char* name, absl::Time* release_at) {
  if (absl::Status s = WriteCoilLocked(offset, true, name); !s.ok()) return s;
  *release_at = clock_->Now() + options_.pulse_width;
  return absl::OkStatus();
}

absl::StatusOr<LaneInputs> ModbusLane::ReadInputs() {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = PrepareLocked(); !s.ok()) return s;
  const ModbusRegisterMap& map = options_.map;
  int lo = kMaxAddress;
  int hi = 0;
  for (const NamedInput& in : kInputs) {
    lo = std::min(lo, (map.*in.input).offset);
    hi = std::max(hi, (map.*in.input).offset);
  }
  const int count = hi - lo + 1;
  if (count > MODBUS_MAX_READ_BITS) {
    return absl::FailedPreconditionError(absl::StrCat(
        "register map discrete inputs span ", count, " bits, more than one read (",
        MODBUS_MAX_READ_BITS, ")"));
  }
  std::vector<uint8_t> bits(count);
  if (modbus_read_input_bits(ctx_, map.base + lo, count, bits.data()) == -1) {
    return FailLocked(absl::StrCat("read discrete inputs ", map.base + lo, "..", map.base + hi));
  }
  LaneInputs out;
  for (const NamedInput& in : kInputs) {
    const ModbusInput& where = map.*in.input;
    const bool raw = bits[where.offset - lo] != 0;
    out.*in.field = raw != where.active_low;
  }
  out.read_time = clock_->Now();
  backoff_ = options_.reconnect_backoff_initial;  // a full exchange worked
  return out;
}

absl::Status ModbusLane::PulseOpen() {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = PrepareLocked(); !s.ok()) return s;
  if (absl::Status s = WriteCoilLocked(options_.map.close_coil, false, "close"); !s.ok()) return s;
  close_release_ = absl::InfiniteFuture();
  return PulseLocked(options_.map.open_coil, "open", &open_release_);
}

absl::Status ModbusLane::PulseClose() {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = PrepareLocked(); !s.ok()) return s;
  if (absl::Status s = WriteCoilLocked(options_.map.open_coil, false, "open"); !s.ok()) return s;
  open_release_ = absl::InfiniteFuture();
  return PulseLocked(options_.map.close_coil, "close", &close_release_);
}

absl::Status ModbusLane::PulseFaultReset() {
  absl::MutexLock lock(&mu_);
  if (options_.map.fault_reset_coil == -1) {
    return absl::FailedPreconditionError(
        absl::StrCat(description_, ": no fault reset coil in the register map"));
  }
  if (absl::Status s = PrepareLocked(); !s.ok()) return s;
  return PulseLocked(options_.map.fault_reset_coil, "fault reset", &reset_release_);
}

absl::Status ModbusLane::SetLights(Light light) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = PrepareLocked(); !s.ok()) return s;
  const ModbusRegisterMap& map = options_.map;
  const uint8_t red = light == Light::kRed;
  const uint8_t amber = light == Light::kAmber;
  const uint8_t green = light == Light::kGreen;
  if (map.amber_coil == map.red_coil + 1 && map.green_coil == map.red_coil + 2) {
    const uint8_t bits[3] = {red, amber, green};
    if (modbus_write_bits(ctx_, map.base + map.red_coil, 3, bits) == -1) {
      return FailLocked(absl::StrCat("write light coils ", map.base + map.red_coil, "..",
                                     map.base + map.red_coil + 2, " (", LightName(light), ")"));
    }
    return absl::OkStatus();
  }
  // Turn the unwanted aspects off first, so two never show at once.
  if (!red) {
    if (absl::Status s = WriteCoilLocked(map.red_coil, false, "red"); !s.ok()) return s;
  }
  if (!amber) {
    if (absl::Status s = WriteCoilLocked(map.amber_coil, false, "amber"); !s.ok()) return s;
  }
  if (!green) {
    if (absl::Status s = WriteCoilLocked(map.green_coil, false, "green"); !s.ok()) return s;
  }
  if (red) return WriteCoilLocked(map.red_coil, true, "red");
  if (amber) return WriteCoilLocked(map.amber_coil, true, "amber");
  if (green) return WriteCoilLocked(map.green_coil, true, "green");
  return absl::OkStatus();
}

absl::Status ModbusLane::WriteHeartbeat(uint16_t value) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = PrepareLocked(); !s.ok()) return s;
  return WriteRegisterLocked(options_.map.heartbeat_register, value, "heartbeat register");
}

absl::Status ModbusLane::WriteLedMessage(uint16_t message_id) {
  absl::MutexLock lock(&mu_);
  if (options_.map.led_message_register == -1) {
    return absl::FailedPreconditionError(
        absl::StrCat(description_, ": no LED message register in the register map"));
  }
  if (absl::Status s = PrepareLocked(); !s.ok()) return s;
  return WriteRegisterLocked(options_.map.led_message_register, message_id, "LED message register");
}

absl::Status ModbusLane::SetHorn(bool on) {
  absl::MutexLock lock(&mu_);
  if (options_.map.horn_coil == -1) {
    return absl::FailedPreconditionError(
        absl::StrCat(description_, ": no horn coil in the register map"));
  }
  if (absl::Status s = PrepareLocked(); !s.ok()) return s;
  return WriteCoilLocked(options_.map.horn_coil, on, "horn");
}

}  // namespace yardgate::gate::lane
