#include "server/services.h"

#include "absl/strings/str_cat.h"
#include "server/event_stream.h"

namespace yardgate::server {
namespace {

// A Reply that copies the result into the gRPC response and finishes the call.
template <class Resp>
Reply<Resp> FinishWith(grpc::ServerUnaryReactor* reactor, Resp* response) {
  return [reactor, response](absl::StatusOr<Resp> result) {
    if (result.ok()) *response = *std::move(result);
    reactor->Finish(ToGrpc(result.status()));
  };
}

template <class Resp>
grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* ctx, absl::StatusOr<Resp> result,
                                    Resp* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  FinishWith(reactor, response)(std::move(result));
  return reactor;
}

}  // namespace

absl::Status Authorize(const grpc::CallbackServerContext& ctx, const std::vector<Credential>& credentials,
                       const std::string& role, const std::string& claimed_id) {
  const auto& metadata = ctx.client_metadata();
  const auto it = metadata.find("authorization");
  constexpr absl::string_view kBearer = "Bearer ";
  if (it == metadata.end() || it->second.size() <= kBearer.size() ||
      std::string(it->second.data(), kBearer.size()) != kBearer) {
    return absl::UnauthenticatedError(absl::StrCat("this call needs the token of the ", role,
                                                   " it names: metadata \"authorization: Bearer <token>\""));
  }
  const std::string secret(it->second.data() + kBearer.size(), it->second.size() - kBearer.size());
  for (const Credential& c : credentials) {
    if (c.secret.size() != secret.size()) continue;
    // Compare every byte, so the time taken says nothing about how much matched.
    unsigned char diff = 0;
    for (size_t i = 0; i < secret.size(); ++i) diff |= static_cast<unsigned char>(c.secret[i] ^ secret[i]);
    if (diff != 0) continue;
    if (c.role != role || c.id != claimed_id) {
      return absl::PermissionDeniedError(absl::StrCat("this token belongs to ", c.role, " ", c.id,
                                                      ", not to ", role, " ", claimed_id));
    }
    return absl::OkStatus();
  }
  return absl::UnauthenticatedError("the token is not known");
}

grpc::Status ToGrpc(const absl::Status& status) {
  // absl and gRPC share the canonical status codes.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

grpc::ServerUnaryReactor* GateServiceImpl::SubmitArrival(grpc::CallbackServerContext* ctx,
                                                         const v1::SubmitArrivalRequest* request,
                                                         v1::SubmitArrivalResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Reply<v1::SubmitArrivalResponse> reply = FinishWith(reactor, response);
  const absl::Status valid = yard_->ValidateArrival(*request);
  if (!valid.ok()) {
    reply(valid);
    return reactor;
  }
  if (yard_->ReplayIfRepeated("SubmitArrival", request->idempotency_key(), RequestHash(*request), reply)) {
    return reactor;
  }
  if (request->frames().empty()) {
    yard_->SubmitArrival(*request, MergeReads(request->read(), {}), {}, reply);
    return reactor;
  }
  if (frames_ == nullptr) {
    reply(absl::FailedPreconditionError("this server has no OCR engine: send the lane's read instead of frames"));
    return reactor;
  }
  // OCR takes a while: run it on a worker and finish from there.
  workers_->Run([this, ctx, request, reply] {
    if (ctx->IsCancelled()) {
      reply(absl::CancelledError("the client went away before the frames were read"));
      return;
    }
    std::vector<std::string> plates, containers;
    yard_->ExpectedAt(request->lane_id(), &plates, &containers);
    const std::vector<v1::CameraFrame> frames(request->frames().begin(), request->frames().end());
    absl::StatusOr<ArrivalReads> read = frames_->Read(frames, plates, containers);
    if (!read.ok()) {
      reply(read.status());
      return;
    }
    std::vector<EvidenceFrame> evidence;
    for (const v1::CameraFrame& f : frames) {
      evidence.push_back({absl::StrCat(v1::CameraPosition_Name(f.position()), ":", f.camera_id()), f.jpeg()});
    }
    yard_->SubmitArrival(*request, MergeReads(request->read(), *read), std::move(evidence), reply);
  });
  return reactor;
}

grpc::ServerUnaryReactor* GateServiceImpl::ReportPassage(grpc::CallbackServerContext* ctx,
                                                         const v1::ReportPassageRequest* request,
                                                         v1::ReportPassageResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  yard_->ReportPassage(*request, FinishWith(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* GateServiceImpl::RequestAssistance(grpc::CallbackServerContext* ctx,
                                                             const v1::RequestAssistanceRequest* request,
                                                             v1::RequestAssistanceResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  yard_->RequestAssistance(*request, FinishWith(reactor, response));
  return reactor;
}

grpc::ServerWriteReactor<v1::Event>* GateServiceImpl::WatchLane(grpc::CallbackServerContext*,
                                                                const v1::WatchLaneRequest* request) {
  // A lane watch is live only: it starts at the newest committed event.
  const std::string lane = request->lane_id();
  return StartEventStream(&yard_->events(), workers_, yard_->events().last_sequence(),
                          [lane](const v1::Event& e) { return e.lane_id() == lane; });
}

grpc::ServerUnaryReactor* TerminalServiceImpl::UpsertAppointment(grpc::CallbackServerContext* ctx,
                                                                 const v1::UpsertAppointmentRequest* request,
                                                                 v1::Appointment* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  yard_->UpsertAppointment(*request, FinishWith(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* TerminalServiceImpl::CancelAppointment(grpc::CallbackServerContext* ctx,
                                                                 const v1::CancelAppointmentRequest* request,
                                                                 v1::Appointment* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  yard_->CancelAppointment(*request, FinishWith(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* TerminalServiceImpl::SetCustomsStatus(grpc::CallbackServerContext* ctx,
                                                                const v1::SetCustomsStatusRequest* request,
                                                                v1::SetCustomsStatusResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  yard_->SetCustomsStatus(*request, FinishWith(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* TerminalServiceImpl::ListVisits(grpc::CallbackServerContext* ctx,
                                                          const v1::ListVisitsRequest* request,
                                                          v1::ListVisitsResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  workers_->Run([this, reactor, request, response] { FinishWith(reactor, response)(yard_->ListVisits(*request)); });
  return reactor;
}

grpc::ServerUnaryReactor* TerminalServiceImpl::GetVisit(grpc::CallbackServerContext* ctx,
                                                        const v1::GetVisitRequest* request,
                                                        v1::Visit* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  workers_->Run([this, reactor, request, response] { FinishWith(reactor, response)(yard_->GetVisit(request->visit_id())); });
  return reactor;
}

grpc::ServerWriteReactor<v1::Event>* TerminalServiceImpl::Subscribe(grpc::CallbackServerContext*,
                                                                    const v1::SubscribeRequest* request) {
  return StartEventStream(&yard_->events(), workers_, request->after_sequence(), nullptr);
}

grpc::ServerUnaryReactor* TerminalServiceImpl::ListTroubleVisits(grpc::CallbackServerContext* ctx,
                                                                 const v1::ListTroubleVisitsRequest* request,
                                                                 v1::ListTroubleVisitsResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  // Frames come from the store: read them on a worker.
  workers_->Run([this, reactor, request, response] {
    FinishWith(reactor, response)(yard_->ListTroubleVisits(*request));
  });
  return reactor;
}

grpc::ServerUnaryReactor* TerminalServiceImpl::ResolveTrouble(grpc::CallbackServerContext* ctx,
                                                              const v1::ResolveTroubleRequest* request,
                                                              v1::Visit* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (absl::Status auth = Authorize(*ctx, credentials_, "clerk", request->clerk_id()); !auth.ok()) {
    FinishWith(reactor, response)(auth);
    return reactor;
  }
  yard_->ResolveTrouble(*request, FinishWith(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* SealServiceImpl::ApplySeal(grpc::CallbackServerContext* ctx,
                                                     const v1::ApplySealRequest* request, v1::Seal* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (absl::Status auth = Authorize(*ctx, credentials_, "officer", request->officer_id()); !auth.ok()) {
    FinishWith(reactor, response)(auth);
    return reactor;
  }
  seals_->Apply(*request, FinishWith(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* SealServiceImpl::ReportSealEvent(grpc::CallbackServerContext* ctx,
                                                           const v1::ReportSealEventRequest* request,
                                                           v1::Seal* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (absl::Status auth = Authorize(*ctx, credentials_, "officer", request->officer_id()); !auth.ok()) {
    FinishWith(reactor, response)(auth);
    return reactor;
  }
  seals_->ReportEvent(*request, FinishWith(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* SealServiceImpl::GetSeal(grpc::CallbackServerContext* ctx,
                                                   const v1::GetSealRequest* request, v1::Seal* response) {
  return FinishNow(ctx, seals_->Get(request->seal_id()), response);
}

grpc::ServerUnaryReactor* SealServiceImpl::RequestUnlock(grpc::CallbackServerContext* ctx,
                                                         const v1::RequestUnlockRequest* request,
                                                         v1::RequestUnlockResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (absl::Status auth = Authorize(*ctx, credentials_, "officer", request->officer_id()); !auth.ok()) {
    FinishWith(reactor, response)(auth);
    return reactor;
  }
  seals_->RequestUnlock(*request, FinishWith(reactor, response));
  return reactor;
}

}  // namespace yardgate::server
