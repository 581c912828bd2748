#include "server/config.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/plate_text.h"

namespace yardgate::server {
namespace {

std::string Trim(const std::string& s) { return std::string(absl::StripAsciiWhitespace(s)); }

absl::Status LineError(int line, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("config line ", line, ": ", what));
}

absl::StatusOr<double> ParseDouble(int line, const std::string& key, const std::string& value) {
  double d = 0;
  if (!absl::SimpleAtod(value, &d)) return LineError(line, absl::StrCat(key, " = '", value, "' is not a number"));
  return d;
}

absl::StatusOr<int> ParseInt(int line, const std::string& key, const std::string& value) {
  int i = 0;
  if (!absl::SimpleAtoi(value, &i)) return LineError(line, absl::StrCat(key, " = '", value, "' is not a whole number"));
  return i;
}

absl::StatusOr<bool> ParseBool(int line, const std::string& key, const std::string& value) {
  const std::string v = absl::AsciiStrToLower(value);
  if (v == "true" || v == "yes" || v == "1") return true;
  if (v == "false" || v == "no" || v == "0") return false;
  return LineError(line, absl::StrCat(key, " = '", value, "' is not true or false"));
}

absl::Status SetServer(Config& c, int line, const std::string& key, const std::string& value) {
  if (key == "data_dir") {
    c.data_dir = value;
  } else if (key == "grpc_listen") {
    c.grpc_listen = value;
  } else if (key == "jt808_listen") {
    c.jt808_listen = value;
  } else if (key == "http_listen") {
    c.http_listen = value;
  } else {
    // The numbers, each with its least value: 0 where it means "no limit".
    struct IntKey {
      const char* name;
      int Config::*field;
      int least;
    };
    static constexpr IntKey kIntKeys[] = {
        {"max_message_bytes", &Config::max_message_bytes, 1},
        {"max_frame_bytes", &Config::max_frame_bytes, 1},
        {"worker_threads", &Config::worker_threads, 1},
        {"unlock_ttl_ms", &Config::unlock_ttl_ms, 1},
        {"visit_active_minutes", &Config::visit_active_minutes, 1},
        {"memory_hours", &Config::memory_hours, 1},
        {"ocr_budget_ms", &Config::ocr_budget_ms, 0},
        {"max_capture_skew_s", &Config::max_capture_skew_s, 1},
    };
    const IntKey* k = std::find_if(std::begin(kIntKeys), std::end(kIntKeys),
                                   [&](const IntKey& i) { return key == i.name; });
    if (k == std::end(kIntKeys)) {
      return LineError(line, absl::StrCat("unknown key '", key, "' in [server]"));
    }
    absl::StatusOr<int> v = ParseInt(line, key, value);
    if (!v.ok()) return v.status();
    if (*v < k->least) {
      return LineError(line, absl::StrCat(key, k->least == 0 ? " must be 0 (none) or positive"
                                                             : " must be positive"));
    }
    c.*(k->field) = *v;
  }
  return absl::OkStatus();
}

absl::Status SetDecision(Config& c, int line, const std::string& key, const std::string& value) {
  gate::DecisionPolicy& p = c.policy;
  if (key == "auto_threshold" || key == "container_auto_threshold" || key == "default_inspection_ratio") {
    absl::StatusOr<double> v = ParseDouble(line, key, value);
    if (!v.ok()) return v.status();
    if (*v < 0 || *v > 1) return LineError(line, absl::StrCat(key, " must be within [0, 1]"));
    (key == "auto_threshold"             ? p.auto_threshold
     : key == "container_auto_threshold" ? p.container_auto_threshold
                                         : p.default_inspection_ratio) = *v;
  } else if (key == "require_customs_release") {
    absl::StatusOr<bool> v = ParseBool(line, key, value);
    if (!v.ok()) return v.status();
    p.require_customs_release = *v;
  } else if (key == "risk_seed") {
    uint64_t seed = 0;
    if (!absl::SimpleAtoi(value, &seed)) return LineError(line, "risk_seed is not a whole number");
    p.risk_seed = seed;
  } else if (key.rfind("inspection_ratio.", 0) == 0) {
    absl::StatusOr<double> v = ParseDouble(line, key, value);
    if (!v.ok()) return v.status();
    if (*v < 0 || *v > 1) return LineError(line, absl::StrCat(key, " must be within [0, 1]"));
    p.company_inspection_ratio[key.substr(17)] = *v;
  } else if (key == "clerk_may_override") {
    p.clerk_overridable.clear();
    for (absl::string_view name : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      const std::string code_name = Trim(std::string(name));
      const std::optional<gate::ReasonCode> code = gate::ReasonCodeFromName(code_name);
      if (!code) return LineError(line, absl::StrCat("clerk_may_override: '", code_name, "' is not a reason code"));
      if (gate::NeverOverridable(*code)) {
        return LineError(line, absl::StrCat("clerk_may_override: ", code_name,
                                            " can never be overridden by a clerk (customs, seals, lane faults, "
                                            "blacklists and used appointments clear only at their source)"));
      }
      p.clerk_overridable.insert(*code);
    }
  } else if (key == "blacklisted_plates") {
    p.blacklisted_plates.clear();
    for (absl::string_view plate : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      p.blacklisted_plates.push_back(common::NormalizePlate(Trim(std::string(plate))));
    }
  } else {
    return LineError(line, absl::StrCat("unknown key '", key, "' in [decision]"));
  }
  return absl::OkStatus();
}

absl::Status SetSeals(Config& c, int line, const std::string& key, const std::string& value) {
  SealConfig& seals = c.seals;
  if (key == "yard_area") {
    std::vector<std::string> parts = absl::StrSplit(value, ' ', absl::SkipWhitespace());
    SealConfig::Circle area;
    if (parts.size() != 4 || !absl::SimpleAtod(parts[1], &area.latitude) ||
        !absl::SimpleAtod(parts[2], &area.longitude) || !absl::SimpleAtod(parts[3], &area.radius_m)) {
      return LineError(line, "yard_area = NAME LATITUDE LONGITUDE RADIUS_M");
    }
    if (area.latitude < -90 || area.latitude > 90 || area.longitude < -180 || area.longitude > 180 ||
        area.radius_m <= 0) {
      return LineError(line, absl::StrCat("yard_area ", parts[0], " has a position or radius out of range"));
    }
    area.name = parts[0];
    seals.yard_areas.push_back(area);
  } else if (key == "departure_radius_m") {
    absl::StatusOr<double> v = ParseDouble(line, key, value);
    if (!v.ok()) return v.status();
    if (*v <= 0) return LineError(line, "departure_radius_m must be positive");
    seals.departure_radius_m = *v;
  } else if (key == "default_lock_family") {
    seals.default_lock_family = value;
  } else if (key == "signal_lost_after_s") {
    absl::StatusOr<int> v = ParseInt(line, key, value);
    if (!v.ok()) return v.status();
    if (*v <= 0) return LineError(line, "signal_lost_after_s must be positive");
    seals.signal_lost_after_s = *v;
  } else {
    return LineError(line, absl::StrCat("unknown key '", key, "' in [seals]"));
  }
  return absl::OkStatus();
}

absl::Status SetAuth(Config& c, int line, const std::string& key, const std::string& value) {
  const absl::Status s = auth::SetAuthKey(c.auth, key, value);
  if (!s.ok()) return LineError(line, std::string(s.message()));
  return absl::OkStatus();
}

absl::Status SetLockFamily(Config& c, const std::string& family, int line, const std::string& key,
                           const std::string& value) {
  if (key != "unlock_password") {
    return LineError(line, absl::StrCat("unknown key '", key, "' in [lock_family ", family, "]"));
  }
  // The gateway sends it as "(P43,<password>)": no separators inside.
  if (value.empty() || value.size() > 32 || value.find_first_of(",()") != std::string::npos ||
      std::any_of(value.begin(), value.end(), [](char ch) { return ch < 0x21 || ch > 0x7e; })) {
    return LineError(line, absl::StrCat("[lock_family ", family,
                                        "] unlock_password: 1-32 printable ASCII characters, none of ,()"));
  }
  c.seals.lock_family_passwords[family] = value;
  return absl::OkStatus();
}

absl::Status SetLane(LaneConfig& lane, int line, const std::string& key, const std::string& value) {
  if (key == "direction") {
    const std::string v = absl::AsciiStrToLower(value);
    if (v == "in") {
      lane.direction = gate::Direction::kIn;
    } else if (v == "out") {
      lane.direction = gate::Direction::kOut;
    } else {
      return LineError(line, absl::StrCat("direction = '", value, "': use in or out"));
    }
  } else if (key == "stage") {
    const std::string v = absl::AsciiStrToLower(value);
    if (v == "pre-gate") {
      lane.stage = 1;
    } else if (v == "in-gate") {
      lane.stage = 2;
    } else if (v == "out-gate") {
      lane.stage = 3;
    } else {
      return LineError(line, absl::StrCat("stage = '", value, "': use pre-gate, in-gate or out-gate"));
    }
  } else if (key == "barrier") {
    if (value != "simulator" && value.rfind("modbus://", 0) != 0) {
      return LineError(line, absl::StrCat("barrier = '", value, "': use simulator or modbus://HOST:PORT"));
    }
    lane.barrier = value;
  } else {
    return LineError(line, absl::StrCat("unknown key '", key, "' in [lane ", lane.id, "]"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string SealConfig::DefaultLockFamily() const {
  if (!default_lock_family.empty()) return default_lock_family;
  if (lock_family_passwords.size() == 1) return lock_family_passwords.begin()->first;
  return "";
}

gate::GateOptions Config::CoreOptions() const {
  gate::GateOptions options;
  for (const LaneConfig& lane : lanes) options.lanes.push_back(lane.Info());
  options.policy = policy;
  options.visit_active = absl::Minutes(visit_active_minutes);
  options.max_capture_skew = absl::Seconds(max_capture_skew_s);
  options.memory = absl::Hours(memory_hours);
  return options;
}

const LaneConfig* Config::FindLane(const std::string& id) const {
  for (const LaneConfig& lane : lanes) {
    if (lane.id == id) return &lane;
  }
  return nullptr;
}

absl::StatusOr<Config> ParseConfig(const std::string& text) {
  Config c;
  std::string section;
  LaneConfig* lane = nullptr;
  std::string lock_family;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    const size_t comment = raw.find_first_of(";#");
    const std::string s = Trim(comment == std::string::npos ? raw : raw.substr(0, comment));
    if (s.empty()) continue;
    if (s.front() == '[') {
      if (s.back() != ']') return LineError(line, "a section header must end with ']'");
      section = Trim(s.substr(1, s.size() - 2));
      lane = nullptr;
      lock_family.clear();
      if (section.rfind("lock_family ", 0) == 0) {
        lock_family = Trim(section.substr(12));
        if (lock_family.empty()) return LineError(line, "[lock_family] needs a name: [lock_family jointech]");
        if (c.seals.lock_family_passwords.count(lock_family)) {
          return LineError(line, absl::StrCat("lock family ", lock_family, " is defined twice"));
        }
        c.seals.lock_family_passwords[lock_family] = "";
        continue;
      }
      if (section.rfind("lane ", 0) == 0) {
        const std::string id = Trim(section.substr(5));
        if (id.empty()) return LineError(line, "[lane] needs an id: [lane L1]");
        if (c.FindLane(id) != nullptr) return LineError(line, absl::StrCat("lane ", id, " is defined twice"));
        c.lanes.push_back(LaneConfig{id});
        lane = &c.lanes.back();
      } else if (section != "server" && section != "decision" && section != "seals" &&
                 section != "auth") {
        return LineError(line, absl::StrCat("unknown section [", section, "]"));
      }
      continue;
    }
    const size_t eq = s.find('=');
    if (eq == std::string::npos) return LineError(line, absl::StrCat("expected key = value, got '", s, "'"));
    const std::string key = Trim(s.substr(0, eq));
    const std::string value = Trim(s.substr(eq + 1));
    absl::Status status;
    if (lane != nullptr) {
      status = SetLane(*lane, line, key, value);
    } else if (!lock_family.empty()) {
      status = SetLockFamily(c, lock_family, line, key, value);
    } else if (section == "server") {
      status = SetServer(c, line, key, value);
    } else if (section == "decision") {
      status = SetDecision(c, line, key, value);
    } else if (section == "seals") {
      status = SetSeals(c, line, key, value);
    } else if (section == "auth") {
      status = SetAuth(c, line, key, value);
    } else {
      status = LineError(line, absl::StrCat("'", key, "' is outside any section"));
    }
    if (!status.ok()) return status;
  }
  for (const auto& [family, password] : c.seals.lock_family_passwords) {
    if (password.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("[lock_family ", family, "] needs its unlock_password"));
    }
  }
  if (!c.seals.default_lock_family.empty() && !c.seals.lock_family_passwords.count(c.seals.default_lock_family)) {
    return absl::InvalidArgumentError(absl::StrCat("[seals] default_lock_family ", c.seals.default_lock_family,
                                                   " has no [lock_family] section"));
  }
  for (const LaneConfig& l : c.lanes) {
    const bool out_stage = l.EffectiveStage() == 3;
    if (out_stage != (l.direction == gate::Direction::kOut)) {
      return absl::InvalidArgumentError(absl::StrCat("lane ", l.id, ": an out-gate lane has direction out, "
                                                     "a pre-gate or in-gate lane direction in"));
    }
  }
  return c;
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<Config> c = ParseConfig(text.str());
  if (!c.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", c.status().message()));
  c->config_path = path;
  if (c->lanes.empty()) c->lanes = DefaultConfig().lanes;
  return c;
}

Config DefaultConfig() {
  Config c;
  c.lanes.push_back(LaneConfig{"L1", gate::Direction::kIn, "simulator"});
  c.lanes.push_back(LaneConfig{"L2", gate::Direction::kOut, "simulator"});
  return c;
}

absl::StatusOr<Config> ConfigFromFlags(int argc, char** argv) {
  Config c = DefaultConfig();
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--config") {
      if (i + 1 >= argc) return absl::InvalidArgumentError("--config needs a file");
      absl::StatusOr<Config> loaded = LoadConfig(argv[i + 1]);
      if (!loaded.ok()) return loaded.status();
      c = *std::move(loaded);
    }
  }
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    const size_t eq = flag.find('=');
    if (eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
    }
    if (flag == "--config") continue;
    if (flag == "--data-dir") {
      c.data_dir = value;
    } else if (flag == "--grpc-listen") {
      c.grpc_listen = value;
    } else if (flag == "--jt808-listen") {
      c.jt808_listen = value;
    } else if (flag == "--http-listen") {
      c.http_listen = value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", flag,
                                                     " (known: --config, --data-dir, --grpc-listen, "
                                                     "--jt808-listen, --http-listen)"));
    }
  }
  return c;
}

}  // namespace yardgate::server
