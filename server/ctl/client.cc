// yardgatectl's commands, one per RPC (and the demo), over one channel whose calls carry the
// caller's tokens (see yardgatectl.cc).
#include "server/ctl/client.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <google/protobuf/util/time_util.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "server/ctl/common.h"
#include "yardgate/v1/gate_service.grpc.pb.h"
#include "yardgate/v1/seal_service.grpc.pb.h"
#include "yardgate/v1/terminal_service.grpc.pb.h"

namespace yardgate::ctl {
namespace {

class Client {
 public:
  explicit Client(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)),
        gate_(v1::GateService::NewStub(channel_)),
        terminal_(v1::TerminalService::NewStub(channel_)),
        seal_(v1::SealService::NewStub(channel_)) {}

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
    const bool sealed = !a.Get("--officer").empty();
    if (sealed) {
      std::printf("# 0. a customs officer seals the export box with an RFID e-seal\n");
      Args seal;
      seal.options = {{"--seal", seal_id}, {"--kind", "rfid"}, {"--officer", a.Get("--officer")},
                      {"--container", "CSQU3054383"},
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

  int GetAppointment(const Args& a) {
    v1::GetAppointmentRequest req;
    req.set_appointment_id(a.Get("--id"));
    grpc::ClientContext ctx;
    v1::Appointment resp;
    return Print(terminal_->GetAppointment(&ctx, req, &resp), resp);
  }

  int Appointments(const Args& a) {
    v1::ListAppointmentsRequest req;
    req.set_plate(a.Get("--plate"));
    req.set_open_only(a.Has("--open-only"));
    req.set_page_size(std::stoi(a.Get("--page-size", "100")));
    req.set_page_token(a.Get("--page-token"));
    grpc::ClientContext ctx;
    v1::ListAppointmentsResponse resp;
    return Print(terminal_->ListAppointments(&ctx, req, &resp), resp);
  }

  int Audit(const Args& a) {
    v1::ListAuditRequest req;
    req.set_subject(a.Get("--subject"));
    req.set_actor(a.Get("--actor"));
    req.set_page_size(std::stoi(a.Get("--page-size", "100")));
    req.set_page_token(a.Get("--page-token"));
    grpc::ClientContext ctx;
    v1::ListAuditResponse resp;
    return Print(terminal_->ListAudit(&ctx, req, &resp), resp);
  }

  int LaneReset(const Args& a) {
    v1::ResetLaneFaultRequest req;
    req.set_idempotency_key(KeyOf(a));
    req.set_lane_id(a.Get("--lane"));
    req.set_operator_id(a.Get("--operator"));
    req.set_comment(a.Get("--comment"));
    grpc::ClientContext ctx;
    v1::ResetLaneFaultResponse resp;
    return Print(gate_->ResetLaneFault(&ctx, req, &resp), resp);
  }

  int LaneClose(const Args& a) {
    v1::CloseBarrierRequest req;
    req.set_idempotency_key(KeyOf(a));
    req.set_lane_id(a.Get("--lane"));
    req.set_operator_id(a.Get("--operator"));
    req.set_comment(a.Get("--comment"));
    grpc::ClientContext ctx;
    v1::CloseBarrierResponse resp;
    return Print(gate_->CloseBarrier(&ctx, req, &resp), resp);
  }

  int CancelAllow(const Args& a) {
    v1::CancelAllowRequest req;
    req.set_idempotency_key(KeyOf(a));
    req.set_visit_id(a.Get("--visit"));
    req.set_operator_id(a.Get("--operator"));
    req.set_comment(a.Get("--comment"));
    grpc::ClientContext ctx;
    v1::Visit resp;
    return Print(gate_->CancelAllow(&ctx, req, &resp), resp);
  }

  int RegisterTerminal(const Args& a) {
    v1::RegisterTerminalRequest req;
    req.set_idempotency_key(KeyOf(a));
    req.set_device_id(a.Get("--device"));
    req.set_lock_family(a.Get("--family"));
    req.set_operator_id(a.Get("--operator"));
    grpc::ClientContext ctx;
    v1::Terminal resp;
    return Print(seal_->RegisterTerminal(&ctx, req, &resp), resp);
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::GateService::Stub> gate_;
  std::unique_ptr<v1::TerminalService::Stub> terminal_;
  std::unique_ptr<v1::SealService::Stub> seal_;
};

}  // namespace

int RunCommand(const Args& args, std::shared_ptr<grpc::Channel> channel) {
  Client client(std::move(channel));
  using Command = std::function<int(Client&, const Args&)>;
  static const std::map<std::string, Command> commands = {
      {"health", [](Client& c, const Args& a) { return c.Health(a); }},
      {"services", [](Client& c, const Args&) { return c.Services(); }},
      {"appointment", [](Client& c, const Args& a) { return c.Appointment(a); }},
      {"get-appointment", [](Client& c, const Args& a) { return c.GetAppointment(a); }},
      {"appointments", [](Client& c, const Args& a) { return c.Appointments(a); }},
      {"cancel-appointment", [](Client& c, const Args& a) { return c.CancelAppointment(a); }},
      {"customs", [](Client& c, const Args& a) { return c.Customs(a); }},
      {"arrive", [](Client& c, const Args& a) { return c.Arrive(a); }},
      {"passage", [](Client& c, const Args& a) { return c.Passage(a); }},
      {"assist", [](Client& c, const Args& a) { return c.Assist(a); }},
      {"visit", [](Client& c, const Args& a) { return c.Visit(a); }},
      {"visits", [](Client& c, const Args& a) { return c.Visits(a); }},
      {"trouble", [](Client& c, const Args& a) { return c.Trouble(a); }},
      {"resolve", [](Client& c, const Args& a) { return c.Resolve(a); }},
      {"audit", [](Client& c, const Args& a) { return c.Audit(a); }},
      {"lane-reset", [](Client& c, const Args& a) { return c.LaneReset(a); }},
      {"lane-close", [](Client& c, const Args& a) { return c.LaneClose(a); }},
      {"cancel-allow", [](Client& c, const Args& a) { return c.CancelAllow(a); }},
      {"seal-apply", [](Client& c, const Args& a) { return c.SealApply(a); }},
      {"seal-event", [](Client& c, const Args& a) { return c.SealEvent(a); }},
      {"seal", [](Client& c, const Args& a) { return c.Seal(a); }},
      {"unlock", [](Client& c, const Args& a) { return c.Unlock(a); }},
      {"register-terminal", [](Client& c, const Args& a) { return c.RegisterTerminal(a); }},
      {"subscribe", [](Client& c, const Args& a) { return c.Subscribe(a); }},
      {"demo", [](Client& c, const Args& a) { return c.Demo(a); }},
  };
  const auto it = commands.find(args.command);
  if (it == commands.end()) return -1;
  return it->second(client, args);
}

}  // namespace yardgate::ctl
