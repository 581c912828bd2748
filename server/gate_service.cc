// GateService: lane kiosks and lane controllers, and the operators' lane calls.
#include "absl/strings/str_cat.h"
#include "common/iso6346.h"
#include "server/calls.h"
#include "server/convert.h"
#include "server/event_stream.h"
#include "server/request_checks.h"
#include "server/services.h"

namespace yardgate::server {
namespace {

// The parts of an arrival that need no OCR: the call's form, the lane, frame sizes, lane reads.
absl::Status CheckArrival(const v1::SubmitArrivalRequest& request, const Config& config) {
  if (absl::Status s = CheckIdempotencyKey(request.idempotency_key()); !s.ok()) return s;
  if (absl::Status s = CheckId("lane_id", request.lane_id()); !s.ok()) return s;
  if (config.FindLane(request.lane_id()) == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown lane ", Quote(request.lane_id())));
  }
  const v1::LaneRead& read = request.read();
  const bool empty_read = read.plate().empty() && read.container_numbers().empty() && read.rfid_tag().empty() &&
                          read.ic_card().empty();
  if (request.frames().empty() && empty_read) {
    return absl::InvalidArgumentError(
        "an arrival needs camera frames or a lane read (plate, containers, RFID or IC card)");
  }
  for (int i = 0; i < request.frames_size(); ++i) {
    const v1::CameraFrame& f = request.frames(i);
    const std::string name = absl::StrCat("frames[", i, "]");
    if (absl::Status s = CheckCameraPosition(f.position(), name + ".position"); !s.ok()) return s;
    if (absl::Status s = CheckId(name + ".camera_id", f.camera_id(), false); !s.ok()) return s;
    if (f.jpeg().empty()) return absl::InvalidArgumentError(absl::StrCat(name, " has no image bytes"));
    if (static_cast<int64_t>(f.jpeg().size()) > config.max_frame_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(name, " is ", f.jpeg().size(), " bytes, more than the limit of ",
                                                     config.max_frame_bytes));
    }
  }
  if (read.has_confidence() && !(read.confidence() >= 0 && read.confidence() <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("read.confidence ", read.confidence(), " is outside [0, 1]"));
  }
  for (const auto& [field, value] : {std::pair<const char*, const std::string*>{"read.plate", &read.plate()},
                                     {"read.rfid_tag", &read.rfid_tag()},
                                     {"read.ic_card", &read.ic_card()}}) {
    if (absl::Status s = CheckId(field, *value, false); !s.ok()) return s;
  }
  for (const std::string& number : read.container_numbers()) {
    const std::string normalized = common::NormalizeContainerNumber(number);
    // A wrong check digit is a decision (TROUBLE naming it), but text that is not a container
    // number at all is a malformed request.
    if (normalized.size() != 11 || !common::ComputeCheckDigit(normalized).has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("read.container_numbers: ", Quote(number),
                                                     " is not a container number (4 letters, 7 digits)"));
    }
  }
  return TimeFromWire(request.captured_at(), "captured_at").status();
}

// An operator's call (a clerk or an admin; the authorizer checked that operator_id is the
// caller): its key, who, the comment, what it is about.
template <class Request>
absl::Status CheckOperatorCall(const Request& request, const char* subject_field, const std::string& subject) {
  if (absl::Status s = CheckIdempotencyKey(request.idempotency_key()); !s.ok()) return s;
  if (absl::Status s = CheckId("operator_id", request.operator_id()); !s.ok()) return s;
  if (absl::Status s = CheckText("comment", request.comment()); !s.ok()) return s;
  return CheckId(subject_field, subject);
}

grpc::ServerUnaryReactor* Refused(grpc::ServerUnaryReactor* reactor, const Journal::Reply& reply, absl::Status status) {
  reply(std::move(status));
  return reactor;
}

// An answer that is the visit as it is when the answer is given (after the barrier's result).
template <class Resp>
std::function<absl::StatusOr<std::string>(const Journal::Committed&)> AnswerWithVisit(gate::GateCore* core,
                                                                                      const std::string& visit_id) {
  return [core, visit_id](const Journal::Committed&) -> absl::StatusOr<std::string> {
    const std::optional<gate::Visit> visit = core->FindVisit(visit_id);
    if (!visit) return absl::NotFoundError(absl::StrCat("visit ", visit_id, " left memory"));
    Resp response;
    if constexpr (std::is_same_v<Resp, v1::Visit>) {
      response = VisitToWire(*visit);
    } else {
      *response.mutable_visit() = VisitToWire(*visit);
    }
    return response.SerializeAsString();
  };
}

}  // namespace

absl::StatusOr<std::string> RenderPendingAnswer(const gate::GateCore& core, const gate::IdempotencyRecord& record) {
  const std::optional<gate::Visit> visit = core.FindVisit(record.subject);
  if (!visit) return absl::NotFoundError(absl::StrCat("visit ", record.subject, " is not in memory"));
  if (record.method == "SubmitArrival") {
    v1::SubmitArrivalResponse response;
    *response.mutable_visit() = VisitToWire(*visit);
    return response.SerializeAsString();
  }
  return VisitToWire(*visit).SerializeAsString();
}

grpc::ServerUnaryReactor* GateServiceImpl::SubmitArrival(grpc::CallbackServerContext* ctx,
                                                         const v1::SubmitArrivalRequest* request,
                                                         v1::SubmitArrivalResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    reply(caller.status());
    return reactor;
  }
  if (absl::Status valid = CheckArrival(*request, *c_.config); !valid.ok()) {
    reply(valid);
    return reactor;
  }
  // A retry answers the first result without reading the frames again.
  if (c_.journal->Replay(CallFor("SubmitArrival", *request), reply)) return reactor;
  if (request->frames().empty()) {
    Decide(*request, MergeReads(request->read(), {}), {}, std::move(reply));
    return reactor;
  }
  if (c_.frames == nullptr) {
    reply(absl::FailedPreconditionError("this server has no OCR engine: send the lane's read instead of frames"));
    return reactor;
  }
  // OCR takes a while: run it on its own pool and finish from there.
  c_.ocr->Run([this, ctx, request, reply = std::move(reply)]() mutable {
    if (ctx->IsCancelled()) {
      reply(absl::CancelledError("the client went away before the frames were read"));
      return;
    }
    std::vector<std::string> plates, containers;
    c_.journal->Read<int>([&] {
      c_.core->ExpectedAt(request->lane_id(), &plates, &containers);
      return 0;
    });
    const std::vector<v1::CameraFrame> frames(request->frames().begin(), request->frames().end());
    absl::StatusOr<FrameReads> read = c_.frames->Read(frames, plates, containers);
    if (!read.ok()) {
      reply(read.status());
      return;
    }
    std::vector<gate::EvidenceFrame> evidence;
    for (const v1::CameraFrame& f : frames) {
      evidence.push_back({"", absl::StrCat(v1::CameraPosition_Name(f.position()), ":", f.camera_id()), f.jpeg()});
    }
    Decide(*request, MergeReads(request->read(), *std::move(read)), std::move(evidence), std::move(reply));
  });
  return reactor;
}

void GateServiceImpl::Decide(const v1::SubmitArrivalRequest& request, FrameReads reads,
                             std::vector<gate::EvidenceFrame> evidence, Journal::Reply reply) {
  gate::Arrival arrival;
  arrival.lane_id = request.lane_id();
  arrival.captured_at = TimeFromWire(request.captured_at(), "captured_at").value_or(absl::InfinitePast());
  arrival.plates = std::move(reads.plates);
  arrival.containers = std::move(reads.containers);
  arrival.frames = std::move(evidence);
  gate::GateCore* core = c_.core;
  c_.journal->Execute(CallFor("SubmitArrival", request),
                      [core, arrival = std::move(arrival)]() -> absl::StatusOr<Journal::Entry> {
                        absl::StatusOr<gate::Outcome<gate::Visit>> out = core->SubmitArrival(arrival);
                        if (!out.ok()) return out.status();
                        Journal::Entry entry;
                        entry.change = std::move(out->change);
                        entry.subject = out->result.id;
                        entry.respond = AnswerWithVisit<v1::SubmitArrivalResponse>(core, out->result.id);
                        return entry;
                      },
                      std::move(reply));
}

grpc::ServerUnaryReactor* GateServiceImpl::ReportPassage(grpc::CallbackServerContext* ctx,
                                                         const v1::ReportPassageRequest* request,
                                                         v1::ReportPassageResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    reply(caller.status());
    return reactor;
  }
  if (absl::Status s = CheckIdempotencyKey(request->idempotency_key()); !s.ok()) return Refused(reactor, reply, s);
  if (absl::Status s = CheckId("visit_id", request->visit_id()); !s.ok()) return Refused(reactor, reply, s);
  gate::GateCore* core = c_.core;
  c_.journal->Execute(CallFor("ReportPassage", *request),
                      [core, id = request->visit_id()]() -> absl::StatusOr<Journal::Entry> {
                        absl::StatusOr<gate::Outcome<gate::Visit>> out =
                            core->ReportPassage(id, gate::PassageSource::kKiosk);
                        if (!out.ok()) return out.status();
                        Journal::Entry entry;
                        entry.change = std::move(out->change);
                        v1::ReportPassageResponse r;
                        *r.mutable_visit() = VisitToWire(out->result);
                        entry.respond = [bytes = r.SerializeAsString()](const Journal::Committed&) { return bytes; };
                        return entry;
                      },
                      std::move(reply));
  return reactor;
}

grpc::ServerUnaryReactor* GateServiceImpl::RequestAssistance(grpc::CallbackServerContext* ctx,
                                                             const v1::RequestAssistanceRequest* request,
                                                             v1::RequestAssistanceResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    reply(caller.status());
    return reactor;
  }
  if (absl::Status s = CheckIdempotencyKey(request->idempotency_key()); !s.ok()) return Refused(reactor, reply, s);
  if (absl::Status s = CheckId("lane_id", request->lane_id()); !s.ok()) return Refused(reactor, reply, s);
  if (absl::Status s = CheckId("visit_id", request->visit_id(), false); !s.ok()) return Refused(reactor, reply, s);
  if (absl::Status s = CheckText("message", request->message()); !s.ok()) return Refused(reactor, reply, s);
  gate::GateCore* core = c_.core;
  c_.journal->Execute(
      CallFor("RequestAssistance", *request),
      [core, lane = request->lane_id(), visit = request->visit_id(),
       message = request->message()]() -> absl::StatusOr<Journal::Entry> {
        absl::StatusOr<gate::Outcome<std::optional<gate::Visit>>> out = core->RequestAssistance(lane, visit, message);
        if (!out.ok()) return out.status();
        Journal::Entry entry;
        entry.change = std::move(out->change);
        entry.respond = [](const Journal::Committed& c) -> absl::StatusOr<std::string> {
          v1::RequestAssistanceResponse r;
          r.set_event_sequence(c.sequences.empty() ? 0 : c.sequences.back());
          return r.SerializeAsString();
        };
        return entry;
      },
      std::move(reply));
  return reactor;
}

grpc::ServerWriteReactor<v1::Event>* GateServiceImpl::WatchLane(grpc::CallbackServerContext* ctx,
                                                                const v1::WatchLaneRequest* request) {
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    return RefusedStream(ToGrpc(caller.status()));
  }
  if (absl::Status s = CheckId("lane_id", request->lane_id()); !s.ok()) return RefusedStream(ToGrpc(s));
  if (c_.config->FindLane(request->lane_id()) == nullptr) {
    return RefusedStream(grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("unknown lane ", Quote(request->lane_id()))));
  }
  // A lane watch is live only: it starts at the newest committed event.
  const std::string lane = request->lane_id();
  EventLog& log = c_.journal->events();
  return StartEventStream(&log, c_.io, log.last_sequence(), [lane](const v1::Event& e) { return e.lane_id() == lane; });
}

grpc::ServerUnaryReactor* GateServiceImpl::ResetLaneFault(grpc::CallbackServerContext* ctx,
                                                          const v1::ResetLaneFaultRequest* request,
                                                          v1::ResetLaneFaultResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    reply(caller.status());
    return reactor;
  }
  if (absl::Status s = CheckOperatorCall(*request, "lane_id", request->lane_id()); !s.ok()) {
    return Refused(reactor, reply, s);
  }
  gate::GateCore* core = c_.core;
  c_.journal->Execute(CallFor("ResetLaneFault", *request),
                      [core, lane = request->lane_id(), actor = request->operator_id(),
                       comment = request->comment()]() -> absl::StatusOr<Journal::Entry> {
                        absl::StatusOr<gate::Outcome<std::string>> out = core->ResetLaneFault(lane, actor, comment);
                        if (!out.ok()) return out.status();
                        Journal::Entry entry;
                        entry.change = std::move(out->change);
                        entry.respond = [lane](const Journal::Committed& c) -> absl::StatusOr<std::string> {
                          // The lane's answer is the call's: a reset refused while the E-stop is active says so.
                          for (const absl::Status& result : c.effect_results) {
                            if (!result.ok()) return result;
                          }
                          v1::ResetLaneFaultResponse r;
                          r.set_lane_id(lane);
                          return r.SerializeAsString();
                        };
                        return entry;
                      },
                      std::move(reply));
  return reactor;
}

grpc::ServerUnaryReactor* GateServiceImpl::CloseBarrier(grpc::CallbackServerContext* ctx,
                                                        const v1::CloseBarrierRequest* request,
                                                        v1::CloseBarrierResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    reply(caller.status());
    return reactor;
  }
  if (absl::Status s = CheckOperatorCall(*request, "lane_id", request->lane_id()); !s.ok()) {
    return Refused(reactor, reply, s);
  }
  gate::GateCore* core = c_.core;
  c_.journal->Execute(CallFor("CloseBarrier", *request),
                      [core, lane = request->lane_id(), actor = request->operator_id(),
                       comment = request->comment()]() -> absl::StatusOr<Journal::Entry> {
                        absl::StatusOr<gate::Outcome<std::vector<gate::Visit>>> out =
                            core->CloseBarrier(lane, actor, comment);
                        if (!out.ok()) return out.status();
                        Journal::Entry entry;
                        entry.change = std::move(out->change);
                        v1::CloseBarrierResponse r;
                        for (const gate::Visit& v : out->result) *r.add_cancelled() = VisitToWire(v);
                        entry.respond = [bytes = r.SerializeAsString()](const Journal::Committed&) { return bytes; };
                        return entry;
                      },
                      std::move(reply));
  return reactor;
}

grpc::ServerUnaryReactor* GateServiceImpl::CancelAllow(grpc::CallbackServerContext* ctx,
                                                       const v1::CancelAllowRequest* request, v1::Visit* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    reply(caller.status());
    return reactor;
  }
  if (absl::Status s = CheckOperatorCall(*request, "visit_id", request->visit_id()); !s.ok()) {
    return Refused(reactor, reply, s);
  }
  gate::GateCore* core = c_.core;
  c_.journal->Execute(CallFor("CancelAllow", *request),
                      [core, id = request->visit_id(), actor = request->operator_id(),
                       comment = request->comment()]() -> absl::StatusOr<Journal::Entry> {
                        absl::StatusOr<gate::Outcome<gate::Visit>> out = core->CancelAllow(id, actor, comment);
                        if (!out.ok()) return out.status();
                        Journal::Entry entry;
                        entry.change = std::move(out->change);
                        entry.respond = [bytes = VisitToWire(out->result).SerializeAsString()](
                                            const Journal::Committed&) { return bytes; };
                        return entry;
                      },
                      std::move(reply));
  return reactor;
}

}  // namespace yardgate::server
