// The server's configuration: a small INI file (an example is deploy/yardgate.conf) that
// command-line flags override.
//
//   [server]
//   grpc_listen = 127.0.0.1:50051
//   data_dir = ./var
//
//   [decision]
//   auto_threshold = 0.90
//   clerk_may_override = LOW_CONFIDENCE, OUTSIDE_TIME_WINDOW   ; never customs, seals, lane faults
//
//   [seals]
//   yard_area = yantian 22.5720 114.2680 800   ; name, latitude, longitude, radius in metres
//
//   [auth]
//   token = clerk clerk-7 <secret>        ; role, id, bearer token
//
//   [lock_family jointech]
//   unlock_password = <from the vendor>      ; the static remote-unlock password of that family
//
//   [lane L1]
//   direction = in
//   barrier = simulator            ; or modbus://127.0.0.1:502?unit=1&base=0
//
// Plain value type; not thread-safe to mutate while shared (the server swaps whole copies).
#ifndef YARDGATE_SERVER_CONFIG_H_
#define YARDGATE_SERVER_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gate/decision.h"
#include "gate/gate_core.h"

namespace yardgate::server {

struct LaneConfig {
  std::string id;
  gate::Direction direction = gate::Direction::kIn;
  // "simulator", or "modbus://HOST:PORT?unit=N&base=M" for a lane PLC.
  std::string barrier = "simulator";
  // 1 pre-gate, 2 in-gate, 3 out-gate (yardgate.v1.Stage); 0: from the direction.
  int stage = 0;
  int EffectiveStage() const { return stage != 0 ? stage : direction == gate::Direction::kOut ? 3 : 2; }
  gate::LaneInfo Info() const { return {id, direction, static_cast<gate::Stage>(EffectiveStage())}; }
};

// A bearer token and the person it stands for. Clients send it as gRPC metadata
// "authorization: Bearer <secret>".
struct Credential {
  std::string role;  // "clerk" or "officer"
  std::string id;    // must equal the clerk_id / officer_id / operator_id the call names
  std::string secret;
};

// Where seals arrive by position, and who may unlock them remotely.
struct SealConfig {
  struct Circle {
    std::string name;
    double latitude = 0;
    double longitude = 0;
    double radius_m = 0;
  };
  std::vector<Circle> yard_areas;
  // A seal is in transit once a report is this far from where it was applied.
  double departure_radius_m = 200;
  // An armed e-lock silent this long raises signal_lost.
  int signal_lost_after_s = 600;
  // What each family of e-locks shares ([lock_family NAME]: unlock_password). Nothing of it is
  // compiled in: without a family the JT/T 808 gateway does not start.
  std::map<std::string, std::string> lock_family_passwords;
  // The family of a terminal a seal names ([seals] default_lock_family); empty with one family:
  // that one.
  std::string default_lock_family;

  // The default family, or "" when none can be chosen.
  std::string DefaultLockFamily() const;
};

struct Config {
  std::string config_path;  // where it was read from, for reloads; empty when built in code
  std::string data_dir = "./var";
  std::string grpc_listen = "127.0.0.1:50051";
  std::string jt808_listen = "127.0.0.1:6808";
  std::string http_listen = "127.0.0.1:8080";
  // Largest gRPC message accepted, for camera frames: a visit of five 1080p JPEGs fits easily.
  int max_message_bytes = 32 << 20;
  // Largest single camera frame, encoded.
  int max_frame_bytes = 8 << 20;
  int worker_threads = 2;
  // How long the OCR may take over one arrival's camera frames before it answers with what it
  // has read so far (0: no limit). The gate promises a decision within a second of arrival.
  int ocr_budget_ms = 700;
  // How long an unlock command may wait for the e-lock's acknowledgement.
  int unlock_ttl_ms = 5000;

  gate::DecisionPolicy policy;
  // Visits and idempotency keys younger than this stay in memory; older ones are read from the
  // store (a trouble visit nobody resolved stays in memory until it is).
  int memory_hours = 72;
  // A truck reaching a later stage within this many minutes of its visit's start continues it.
  int visit_active_minutes = 240;
  // A capture whose captured_at is further than this from the server's clock is refused.
  int max_capture_skew_s = 600;
  // Who may act as a gate clerk (resolve trouble visits) or a customs officer (apply seals,
  // report seal events, unlock). No credential for a role: nobody may (fail closed).
  std::vector<Credential> credentials;
  SealConfig seals;
  std::vector<LaneConfig> lanes;

  const LaneConfig* FindLane(const std::string& id) const;
  // The gate core's options from this config.
  gate::GateOptions CoreOptions() const;
};

// Parses INI text. Errors name the line and what is wrong with it.
absl::StatusOr<Config> ParseConfig(const std::string& text);

// Reads and parses a file; the result remembers the path.
absl::StatusOr<Config> LoadConfig(const std::string& path);

// A configuration that works without a file: one inbound lane "L1" and one outbound "L2",
// both on the simulated barrier.
Config DefaultConfig();

// Applies command-line flags (--config is read first, then the others override it).
// Unknown flags and missing values are errors naming the flag.
absl::StatusOr<Config> ConfigFromFlags(int argc, char** argv);

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_CONFIG_H_
