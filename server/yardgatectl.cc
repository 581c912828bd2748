// yardgatectl: a command-line client for yardgate-server, for operators and the demo.
//
//   yardgatectl [--server HOST:PORT] COMMAND [options]
//
// Commands print JSON (one object per line for streams) and exit non-zero on an error, with
// the server's message on stderr.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include "common/json.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "server/auth/credentials.h"
#include "yardgate/v1/gate_service.grpc.pb.h"
#include "yardgate/v1/seal_service.grpc.pb.h"
#include "yardgate/v1/terminal_service.grpc.pb.h"

namespace {

namespace v1 = yardgate::v1;

constexpr const char* kUsage = R"(usage: yardgatectl [--server HOST:PORT] COMMAND [options]

commands:
  health [--service NAME]                    standard gRPC health check
  services                                   services listed by server reflection
  appointment --id ID --plate P --direction in|out [--container C[:TYPE[:SEAL]]]... [--company X]
                                             TYPE: RE RI RM DI DE DM (default RE in, DI out)
  cancel-appointment --id ID
  customs --container C --status released|held|inspection
  arrive --lane L [--plate P] [--container C]... [--image FILE[:front|rear|left|right|top]]...
  passage --visit V
  assist --lane L [--visit V] [--message TEXT]
  visit --visit V
  visits [--lane L]
  trouble [--lane L]
  resolve --visit V --clerk ID --token T (--approve | --reject | --plate P | --container C...) [--comment TEXT]
  seal-apply --seal ID --kind elock|rfid|mechanical --officer ID --token T [--device PHONE]
             [--container C]... [--plate P] [--place TEXT] [--lat X --lon Y]
  seal-event --seal ID --event verified|broken|tampered|removed|cleared --officer ID --token T
  seal --seal ID                             a seal's state
  unlock --seal ID --officer ID --token T [--reason TEXT]
  subscribe [--after N] [--count K]          events after sequence N; stop after K
  demo [--officer ID --token T]              runs a demo truck through lane L1 and prints the decisions
                                             (with an officer: its box travels under an e-seal)
  mint-token --role ROLE --id ID [--lane L]...
                                             a new bearer token (printed once) and its [auth] line;
                                             needs no server. ROLE: lane seal_terminal officer customs
                                             clerk terminal_system admin (--lane for role lane only)
common:
  --server HOST:PORT   default 127.0.0.1:50051
  --key KEY            idempotency key for a mutating command (default: a fresh one; pass the
                       same key again to retry a call safely)
)";

struct Args {
  std::string command;
  std::multimap<std::string, std::string> options;
  std::vector<std::string> flags;

  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }
  std::vector<std::string> All(const std::string& name) const {
    std::vector<std::string> out;
    for (auto [it, end] = options.equal_range(name); it != end; ++it) out.push_back(it->second);
    return out;
  }
  bool Has(const std::string& flag) const {
    return std::find(flags.begin(), flags.end(), flag) != flags.end();
  }
};

bool IsFlag(const std::string& name) {
  return name == "--approve" || name == "--reject";
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

int Fail(const grpc::Status& s) {
  std::fprintf(stderr, "yardgatectl: %s: %s\n", s.error_code() == grpc::StatusCode::UNAVAILABLE ? "UNAVAILABLE" : "error",
               s.error_message().c_str());
  return 1;
}

int Print(const grpc::Status& s, const google::protobuf::Message& m) {
  if (!s.ok()) return Fail(s);
  std::printf("%s\n", ToJson(m).c_str());
  return 0;
}

v1::TransactionType ParseType(const std::string& t, v1::Direction d) {
  static const std::map<std::string, v1::TransactionType> types = {
      {"RE", v1::TRANSACTION_TYPE_RECEIVE_EXPORT}, {"RI", v1::TRANSACTION_TYPE_RECEIVE_IMPORT},
      {"RM", v1::TRANSACTION_TYPE_RECEIVE_EMPTY},  {"DI", v1::TRANSACTION_TYPE_DELIVER_IMPORT},
      {"DE", v1::TRANSACTION_TYPE_DELIVER_EXPORT}, {"DM", v1::TRANSACTION_TYPE_DELIVER_EMPTY}};
  auto it = types.find(t);
  if (it != types.end()) return it->second;
  return d == v1::DIRECTION_OUT ? v1::TRANSACTION_TYPE_DELIVER_IMPORT : v1::TRANSACTION_TYPE_RECEIVE_EXPORT;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) parts.push_back(part);
  if (parts.empty()) parts.push_back("");
  return parts;
}

v1::CameraPosition ParsePosition(const std::string& p) {
  if (p == "front") return v1::CAMERA_POSITION_FRONT;
  if (p == "rear") return v1::CAMERA_POSITION_REAR;
  if (p == "left") return v1::CAMERA_POSITION_LEFT;
  if (p == "right") return v1::CAMERA_POSITION_RIGHT;
  if (p == "top") return v1::CAMERA_POSITION_TOP;
  return v1::CAMERA_POSITION_UNSPECIFIED;
}

// --key, or a fresh key: every mutating call names one, and a CLI call is new unless the
// operator retries it with the key it printed or chose.
std::string KeyOf(const Args& a) {
  if (!a.Get("--key").empty()) return a.Get("--key");
  static int counter = 0;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return "ctl-" + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count()) + "-" +
         std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

class Client {
 public:
  explicit Client(const std::string& address) {
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(64 << 20);
    channel_ = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    gate_ = v1::GateService::NewStub(channel_);
    terminal_ = v1::TerminalService::NewStub(channel_);
    seal_ = v1::SealService::NewStub(channel_);
  }

  int Health(const Args& a) {
    auto stub = grpc::health::v1::Health::NewStub(channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(a.Get("--service"));
    grpc::health::v1::HealthCheckResponse resp;
    const grpc::Status s = stub->Check(&ctx, req, &resp);
    if (!s.ok()) return Fail(s);
    std::printf("%s\n", grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status()).c_str());
    return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
  }

  int Services() {
    auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auto stream = stub->ServerReflectionInfo(&ctx);
    grpc::reflection::v1alpha::ServerReflectionRequest req;
    req.set_list_services("");
    stream->Write(req);
    stream->WritesDone();
    grpc::reflection::v1alpha::ServerReflectionResponse resp;
    while (stream->Read(&resp)) {
      for (const auto& service : resp.list_services_response().service()) std::printf("%s\n", service.name().c_str());
    }
    const grpc::Status s = stream->Finish();
    return s.ok() ? 0 : Fail(s);
  }

  int Appointment(const Args& a, v1::Appointment* out = nullptr) {
    v1::UpsertAppointmentRequest req;
    req.set_idempotency_key(KeyOf(a));
    v1::Appointment* ap = req.mutable_appointment();
    ap->set_appointment_id(a.Get("--id"));
    ap->set_plate(a.Get("--plate"));
    const std::string dir = a.Get("--direction", "in");
    ap->set_direction(dir == "out" ? v1::DIRECTION_OUT : dir == "in" ? v1::DIRECTION_IN : v1::DIRECTION_UNSPECIFIED);
    ap->set_company(a.Get("--company"));
    for (const std::string& c : a.All("--container")) {
      v1::ContainerMove* m = ap->add_containers();
      // C[:TYPE[:SEAL]]
      const std::vector<std::string> parts = Split(c, ':');
      m->set_container_number(parts[0]);
      m->set_transaction_type(ParseType(parts.size() > 1 ? parts[1] : "", ap->direction()));
      if (parts.size() > 2) m->set_seal_id(parts[2]);
    }
    grpc::ClientContext ctx;
    v1::Appointment resp;
    const grpc::Status s = terminal_->UpsertAppointment(&ctx, req, &resp);
    if (out != nullptr && s.ok()) *out = resp;
    return Print(s, resp);
  }

  int CancelAppointment(const Args& a) {
    v1::CancelAppointmentRequest req;
    req.set_idempotency_key(KeyOf(a));
    req.set_appointment_id(a.Get("--id"));
    grpc::ClientContext ctx;
    v1::Appointment resp;
    return Print(terminal_->CancelAppointment(&ctx, req, &resp), resp);
  }

  int Customs(const Args& a) {
    v1::SetCustomsStatusRequest req;
    req.set_idempotency_key(KeyOf(a));
    req.set_container_number(a.Get("--container"));
    const std::string st = a.Get("--status");
    req.set_status(st == "released" ? v1::CUSTOMS_STATUS_RELEASED
                   : st == "held"   ? v1::CUSTOMS_STATUS_HELD
                   : st == "inspection" ? v1::CUSTOMS_STATUS_INSPECTION
                                        : v1::CUSTOMS_STATUS_UNSPECIFIED);
    grpc::ClientContext ctx;
    v1::SetCustomsStatusResponse resp;
    return Print(terminal_->SetCustomsStatus(&ctx, req, &resp), resp);
  }

  int Arrive(const Args& a, v1::Visit* out = nullptr) {
    v1::SubmitArrivalRequest req;
    req.set_idempotency_key(KeyOf(a));
    req.set_lane_id(a.Get("--lane", "L1"));
    req.mutable_read()->set_plate(a.Get("--plate"));
    for (const std::string& c : a.All("--container")) req.mutable_read()->add_container_numbers(c);
    for (const std::string& image : a.All("--image")) {
      const size_t colon = image.rfind(':');
      const std::string path = colon == std::string::npos ? image : image.substr(0, colon);
      std::ifstream file(path, std::ios::binary);
      if (!file) {
        std::fprintf(stderr, "yardgatectl: cannot read %s\n", path.c_str());
        return 2;
      }
      std::stringstream bytes;
      bytes << file.rdbuf();
      v1::CameraFrame* f = req.add_frames();
      f->set_jpeg(bytes.str());
      f->set_camera_id(path);
      f->set_position(ParsePosition(colon == std::string::npos ? "" : image.substr(colon + 1)));
    }
    grpc::ClientContext ctx;
    v1::SubmitArrivalResponse resp;
    const grpc::Status s = gate_->SubmitArrival(&ctx, req, &resp);
    if (out != nullptr && s.ok()) *out = resp.visit();
    return Print(s, resp);
  }

  int Passage(const Args& a) {
    v1::ReportPassageRequest req;
    req.set_idempotency_key(KeyOf(a));
    req.set_visit_id(a.Get("--visit"));
    grpc::ClientContext ctx;
    v1::ReportPassageResponse resp;
    return Print(gate_->ReportPassage(&ctx, req, &resp), resp);
  }

  int Assist(const Args& a) {
    v1::RequestAssistanceRequest req;
    req.set_idempotency_key(KeyOf(a));
    req.set_lane_id(a.Get("--lane", "L1"));
    req.set_visit_id(a.Get("--visit"));
    req.set_message(a.Get("--message"));
    grpc::ClientContext ctx;
    v1::RequestAssistanceResponse resp;
    return Print(gate_->RequestAssistance(&ctx, req, &resp), resp);
  }

  int Visit(const Args& a) {
    v1::GetVisitRequest req;
    req.set_visit_id(a.Get("--visit"));
    grpc::ClientContext ctx;
    v1::Visit resp;
    return Print(terminal_->GetVisit(&ctx, req, &resp), resp);
  }

  int Visits(const Args& a) {
    v1::ListVisitsRequest req;
    req.set_lane_id(a.Get("--lane"));
    for (;;) {
      grpc::ClientContext ctx;
      v1::ListVisitsResponse resp;
      const grpc::Status s = terminal_->ListVisits(&ctx, req, &resp);
      if (!s.ok()) return Fail(s);
      for (const v1::Visit& v : resp.visits()) std::printf("%s\n", ToJson(v).c_str());
      if (resp.next_page_token().empty()) return 0;
      req.set_page_token(resp.next_page_token());
    }
  }

  int Trouble(const Args& a) {
    v1::ListTroubleVisitsRequest req;
    req.set_lane_id(a.Get("--lane"));
    grpc::ClientContext ctx;
    v1::ListTroubleVisitsResponse resp;
    const grpc::Status s = terminal_->ListTroubleVisits(&ctx, req, &resp);
    if (!s.ok()) return Fail(s);
    for (const v1::TroubleCase& c : resp.cases()) std::printf("%s\n", ToJson(c).c_str());
    return 0;
  }

  int Resolve(const Args& a) {
    v1::ResolveTroubleRequest req;
    req.set_idempotency_key(KeyOf(a));
    req.set_visit_id(a.Get("--visit"));
    req.set_clerk_id(a.Get("--clerk"));
    req.set_comment(a.Get("--comment"));
    req.set_corrected_plate(a.Get("--plate"));
    for (const std::string& c : a.All("--container")) req.add_corrected_container_numbers(c);
    req.set_action(a.Has("--approve")  ? v1::CLERK_ACTION_APPROVE
                   : a.Has("--reject") ? v1::CLERK_ACTION_REJECT
                                       : v1::CLERK_ACTION_CORRECT);
    grpc::ClientContext ctx;
    Authorize(a, &ctx);
    v1::Visit resp;
    return Print(terminal_->ResolveTrouble(&ctx, req, &resp), resp);
  }

  int SealApply(const Args& a) {
    v1::ApplySealRequest req;
    req.set_idempotency_key(KeyOf(a));
    req.set_seal_id(a.Get("--seal"));
    const std::string kind = a.Get("--kind");
    req.set_kind(kind == "elock"        ? v1::SEAL_KIND_GPS_ELOCK
                 : kind == "rfid"       ? v1::SEAL_KIND_RFID_ESEAL
                 : kind == "mechanical" ? v1::SEAL_KIND_MECHANICAL
                                        : v1::SEAL_KIND_UNSPECIFIED);
    for (const std::string& c : a.All("--container")) req.add_container_numbers(c);
    req.set_plate(a.Get("--plate"));
    req.set_device_id(a.Get("--device"));
    req.set_officer_id(a.Get("--officer"));
    req.set_place(a.Get("--place"));
    req.set_latitude(std::stod(a.Get("--lat", "0")));
    req.set_longitude(std::stod(a.Get("--lon", "0")));
    grpc::ClientContext ctx;
    Authorize(a, &ctx);
    v1::Seal resp;
    return Print(seal_->ApplySeal(&ctx, req, &resp), resp);
  }

  int SealEvent(const Args& a) {
    static const std::map<std::string, v1::SealEventKind> kinds = {
        {"verified", v1::SEAL_EVENT_KIND_VERIFIED}, {"broken", v1::SEAL_EVENT_KIND_BROKEN},
        {"tampered", v1::SEAL_EVENT_KIND_TAMPERED}, {"removed", v1::SEAL_EVENT_KIND_REMOVED},
        {"cleared", v1::SEAL_EVENT_KIND_ALARM_CLEARED}};
    v1::ReportSealEventRequest req;
    req.set_idempotency_key(KeyOf(a));
    req.set_seal_id(a.Get("--seal"));
    const auto kind = kinds.find(a.Get("--event"));
    req.set_kind(kind == kinds.end() ? v1::SEAL_EVENT_KIND_UNSPECIFIED : kind->second);
    req.set_officer_id(a.Get("--officer"));
    req.set_detail(a.Get("--detail"));
    grpc::ClientContext ctx;
    Authorize(a, &ctx);
    v1::Seal resp;
    return Print(seal_->ReportSealEvent(&ctx, req, &resp), resp);
  }

  int Seal(const Args& a) {
    v1::GetSealRequest req;
    req.set_seal_id(a.Get("--seal"));
    grpc::ClientContext ctx;
    v1::Seal resp;
    return Print(seal_->GetSeal(&ctx, req, &resp), resp);
  }

  int Unlock(const Args& a) {
    v1::RequestUnlockRequest req;
    req.set_idempotency_key(KeyOf(a));
    req.set_seal_id(a.Get("--seal"));
    req.set_officer_id(a.Get("--officer"));
    req.set_reason(a.Get("--reason"));
    grpc::ClientContext ctx;
    Authorize(a, &ctx);
    v1::RequestUnlockResponse resp;
    return Print(seal_->RequestUnlock(&ctx, req, &resp), resp);
  }

  int Subscribe(const Args& a) {
    v1::SubscribeRequest req;
    req.set_after_sequence(std::stoull(a.Get("--after", "0")));
    const long count = std::stol(a.Get("--count", "-1"));
    grpc::ClientContext ctx;
    auto reader = terminal_->Subscribe(&ctx, req);
    v1::Event e;
    long seen = 0;
    while ((count < 0 || seen < count) && reader->Read(&e)) {
      std::printf("%s\n", ToJson(e).c_str());
      std::fflush(stdout);
      ++seen;
    }
    ctx.TryCancel();
    const grpc::Status s = reader->Finish();
    return s.ok() || s.error_code() == grpc::StatusCode::CANCELLED ? 0 : Fail(s);
  }

  // A truck under appointment through the in-gate lane: first with a wrong check digit
  // (TROUBLE naming the container), then as appointed (OPEN), then through the barrier.
  int Demo(const Args& a) {
    const std::string stamp = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch()).count());
    const std::string seal_id = "DEMO-SEAL-" + stamp;
    const bool sealed = !a.Get("--officer").empty() && !a.Get("--token").empty();
    if (sealed) {
      std::printf("# 0. a customs officer seals the export box with an RFID e-seal\n");
      Args seal;
      seal.options = {{"--seal", seal_id}, {"--kind", "rfid"}, {"--officer", a.Get("--officer")},
                      {"--token", a.Get("--token")}, {"--container", "CSQU3054383"},
                      {"--plate", "粤B12345"}, {"--place", "Yantian e-commerce yard"}};
      if (SealApply(seal) != 0) return 1;
    }
    Args ap;
    ap.options = {{"--id", "DEMO-" + stamp}, {"--plate", "粤B12345"}, {"--direction", "in"},
                  {"--container", sealed ? "CSQU3054383:RE:" + seal_id : "CSQU3054383:RE"},
                  {"--container", "TGHU1643396:RM"}};
    std::printf("# 1. the terminal system books the truck\n");
    if (Appointment(ap) != 0) return 1;
    std::printf("# 2. the truck arrives at lane L1; one container number is read with a wrong check digit\n");
    Args bad;
    bad.options = {{"--lane", "L1"}, {"--plate", "粤B12345"}, {"--container", "CSQU3054384"},
                   {"--container", "TGHU1643396"}};
    v1::Visit trouble;
    if (Arrive(bad, &trouble) != 0) return 1;
    std::printf("# 3. the lane reads again, this time right\n");
    Args good = bad;
    good.options = {{"--lane", "L1"}, {"--plate", "粤B12345"}, {"--container", "CSQU3054383"},
                    {"--container", "TGHU1643396"}};
    v1::Visit open;
    if (Arrive(good, &open) != 0) return 1;
    std::printf("# 4. the truck passes the barrier; the empty TGHU1643396 is returned at once\n");
    Args passage;
    passage.options = {{"--visit", open.visit_id()}};
    if (open.decision() == v1::DECISION_OPEN && Passage(passage) != 0) return 1;
    if (sealed) {
      std::printf("# 5. the gate verified the seal on its own\n");
      Args seal;
      seal.options = {{"--seal", seal_id}};
      if (Seal(seal) != 0) return 1;
    }
    std::printf("# decisions: %s for %s, %s for %s\n", v1::Decision_Name(trouble.decision()).c_str(),
                trouble.visit_id().c_str(), v1::Decision_Name(open.decision()).c_str(), open.visit_id().c_str());
    return trouble.decision() == v1::DECISION_TROUBLE && open.decision() == v1::DECISION_OPEN ? 0 : 1;
  }

 private:
  // The clerk's or officer's bearer token, from --token.
  static void Authorize(const Args& a, grpc::ClientContext* ctx) {
    if (!a.Get("--token").empty()) ctx->AddMetadata("authorization", "Bearer " + a.Get("--token"));
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::GateService::Stub> gate_;
  std::unique_ptr<v1::TerminalService::Stub> terminal_;
  std::unique_ptr<v1::SealService::Stub> seal_;
};

// Prints {"role", "id", "token", "config_line"}: the token goes to whoever will use it, the line
// into [auth] of the server's config (then SIGHUP). Only the line's salted hash is stored.
int MintTokenCommand(const Args& a) {
  absl::StatusOr<yardgate::auth::Role> role = yardgate::auth::ParseRole(a.Get("--role"));
  if (!role.ok()) {
    std::fprintf(stderr, "yardgatectl: mint-token --role: %s\n", std::string(role.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<yardgate::auth::MintedToken> minted = yardgate::auth::MintToken(*role, a.Get("--id"), a.All("--lane"));
  if (!minted.ok()) {
    std::fprintf(stderr, "yardgatectl: mint-token: %s\n", std::string(minted.status().message()).c_str());
    return 2;
  }
  using yardgate::common::JsonString;
  std::printf("{\"role\":%s,\"id\":%s,\"token\":%s,\"config_line\":%s}\n",
              JsonString(std::string(yardgate::auth::RoleName(*role))).c_str(), JsonString(a.Get("--id")).c_str(),
              JsonString(minted->token).c_str(), JsonString(minted->config_line).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  std::string server = "127.0.0.1:50051";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
    if (arg.rfind("--", 0) == 0) {
      if (IsFlag(arg)) {
        args.flags.push_back(arg);
        continue;
      }
      if (i + 1 >= argc) {
        std::fprintf(stderr, "yardgatectl: %s needs a value\n", arg.c_str());
        return 2;
      }
      if (arg == "--server") {
        server = argv[++i];
      } else {
        args.options.emplace(arg, argv[++i]);
      }
    } else if (args.command.empty()) {
      args.command = arg;
    } else {
      std::fprintf(stderr, "yardgatectl: unexpected argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  const std::string& c = args.command;
  if (c == "mint-token") return MintTokenCommand(args);
  Client client(server);
  if (c == "health") return client.Health(args);
  if (c == "services") return client.Services();
  if (c == "appointment") return client.Appointment(args);
  if (c == "cancel-appointment") return client.CancelAppointment(args);
  if (c == "customs") return client.Customs(args);
  if (c == "arrive") return client.Arrive(args);
  if (c == "passage") return client.Passage(args);
  if (c == "assist") return client.Assist(args);
  if (c == "visit") return client.Visit(args);
  if (c == "visits") return client.Visits(args);
  if (c == "trouble") return client.Trouble(args);
  if (c == "resolve") return client.Resolve(args);
  if (c == "seal-apply") return client.SealApply(args);
  if (c == "seal-event") return client.SealEvent(args);
  if (c == "seal") return client.Seal(args);
  if (c == "unlock") return client.Unlock(args);
  if (c == "subscribe") return client.Subscribe(args);
  if (c == "demo") return client.Demo(args);
  std::fprintf(stderr, "yardgatectl: %s\n%s", c.empty() ? "no command given" : ("unknown command '" + c + "'").c_str(), kUsage);
  return 2;
}
