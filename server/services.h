// The gRPC adapters: GateService (lanes and operators), TerminalService (terminal systems and
// the trouble desk) and SealService (officers' terminals).
//
// They translate and nothing more: ask the authorizer whether this caller may make this request
// (the one policy table, server/auth/policy.cc), check the request's form (keys, ids, enum values, sizes),
// convert it to a domain command (server/convert.h), run it through the journal and answer. The
// rules live in gate/ (GateCore) and seal_bridge/ (SealBook), so they are tested without gRPC.
// Unary handlers finish from the thread that completes the work; reads of the store and OCR run
// on worker pools, never on gRPC's threads; streams write one event at a time.
//
// Thread-safety: as gRPC's callback services; all state lives in the core behind the journal.
#ifndef YARDGATE_SERVER_SERVICES_H_
#define YARDGATE_SERVER_SERVICES_H_

// First: how the services' requests parse must be declared before their generated code is
// instantiated (yardgate/request_parsing.h).
#include "yardgate/v1/gate_service_request_parsing.h"
#include "yardgate/v1/seal_service_request_parsing.h"
#include "yardgate/v1/terminal_service_request_parsing.h"

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "gate/gate_core.h"
#include "gate/store.h"
#include "server/arrival_reads.h"
#include "server/auth/authorizer.h"
#include "server/config.h"
#include "server/journal.h"
#include "server/seals.h"
#include "server/worker_pool.h"
#include "yardgate/v1/gate_service.grpc.pb.h"
#include "yardgate/v1/seal_service.grpc.pb.h"
#include "yardgate/v1/terminal_service.grpc.pb.h"

namespace yardgate::server {

// What every service works with. All pointers outlive the services.
struct ServiceContext {
  const Config* config = nullptr;
  gate::GateCore* core = nullptr;  // only ever used under the journal's lock
  Journal* journal = nullptr;
  gate::Store* store = nullptr;
  WorkerPool* io = nullptr;         // store reads, stream catch-up
  WorkerPool* ocr = nullptr;        // camera frames
  FrameReader* frames = nullptr;    // null: arrivals with frames get FAILED_PRECONDITION
  Seals* seals = nullptr;
  // The policy table applied to every call (server/auth/): each handler asks it first.
  const auth::Authorizer* authorizer = nullptr;
};

// What every handler asks first: did the request parse (yardgate/request_parsing.h: a request
// that does not is INVALID_ARGUMENT with a message, not gRPC's bare UNIMPLEMENTED), and may this
// caller make it (the authorizer). The principal it acts for, or the refusal.
absl::StatusOr<auth::Principal> Admit(const ServiceContext& context, const grpc::CallbackServerContext& ctx,
                                      const google::protobuf::Message& request);

// The answer of a call whose barrier effect was still running when the server stopped,
// rendered from the visit as it is now (see Journal::RenderPending).
absl::StatusOr<std::string> RenderPendingAnswer(const gate::GateCore& core, const gate::IdempotencyRecord& record);

class GateServiceImpl final : public v1::GateService::CallbackService {
 public:
  explicit GateServiceImpl(ServiceContext context) : c_(std::move(context)) {}

  grpc::ServerUnaryReactor* SubmitArrival(grpc::CallbackServerContext* ctx, const v1::SubmitArrivalRequest* request,
                                          v1::SubmitArrivalResponse* response) override;
  grpc::ServerUnaryReactor* ReportPassage(grpc::CallbackServerContext* ctx, const v1::ReportPassageRequest* request,
                                          v1::ReportPassageResponse* response) override;
  grpc::ServerUnaryReactor* RequestAssistance(grpc::CallbackServerContext* ctx,
                                              const v1::RequestAssistanceRequest* request,
                                              v1::RequestAssistanceResponse* response) override;
  grpc::ServerWriteReactor<v1::Event>* WatchLane(grpc::CallbackServerContext* ctx,
                                                  const v1::WatchLaneRequest* request) override;
  grpc::ServerUnaryReactor* ResetLaneFault(grpc::CallbackServerContext* ctx, const v1::ResetLaneFaultRequest* request,
                                           v1::ResetLaneFaultResponse* response) override;
  grpc::ServerUnaryReactor* CloseBarrier(grpc::CallbackServerContext* ctx, const v1::CloseBarrierRequest* request,
                                         v1::CloseBarrierResponse* response) override;
  grpc::ServerUnaryReactor* CancelAllow(grpc::CallbackServerContext* ctx, const v1::CancelAllowRequest* request,
                                        v1::Visit* response) override;

 private:
  void Decide(const v1::SubmitArrivalRequest& request, FrameReads reads, std::vector<gate::EvidenceFrame> evidence,
              Journal::Reply reply);

  const ServiceContext c_;
};

class TerminalServiceImpl final : public v1::TerminalService::CallbackService {
 public:
  explicit TerminalServiceImpl(ServiceContext context) : c_(std::move(context)) {}

  grpc::ServerUnaryReactor* UpsertAppointment(grpc::CallbackServerContext* ctx,
                                              const v1::UpsertAppointmentRequest* request,
                                              v1::Appointment* response) override;
  grpc::ServerUnaryReactor* CancelAppointment(grpc::CallbackServerContext* ctx,
                                              const v1::CancelAppointmentRequest* request,
                                              v1::Appointment* response) override;
  grpc::ServerUnaryReactor* SetCustomsStatus(grpc::CallbackServerContext* ctx,
                                             const v1::SetCustomsStatusRequest* request,
                                             v1::SetCustomsStatusResponse* response) override;
  grpc::ServerUnaryReactor* ListVisits(grpc::CallbackServerContext* ctx, const v1::ListVisitsRequest* request,
                                       v1::ListVisitsResponse* response) override;
  grpc::ServerUnaryReactor* GetVisit(grpc::CallbackServerContext* ctx, const v1::GetVisitRequest* request,
                                     v1::Visit* response) override;
  grpc::ServerWriteReactor<v1::Event>* Subscribe(grpc::CallbackServerContext* ctx,
                                                  const v1::SubscribeRequest* request) override;
  grpc::ServerUnaryReactor* ListTroubleVisits(grpc::CallbackServerContext* ctx,
                                              const v1::ListTroubleVisitsRequest* request,
                                              v1::ListTroubleVisitsResponse* response) override;
  grpc::ServerUnaryReactor* ResolveTrouble(grpc::CallbackServerContext* ctx, const v1::ResolveTroubleRequest* request,
                                           v1::Visit* response) override;
  grpc::ServerUnaryReactor* GetAppointment(grpc::CallbackServerContext* ctx, const v1::GetAppointmentRequest* request,
                                           v1::Appointment* response) override;
  grpc::ServerUnaryReactor* ListAppointments(grpc::CallbackServerContext* ctx,
                                             const v1::ListAppointmentsRequest* request,
                                             v1::ListAppointmentsResponse* response) override;
  grpc::ServerUnaryReactor* ListAudit(grpc::CallbackServerContext* ctx, const v1::ListAuditRequest* request,
                                      v1::ListAuditResponse* response) override;

 private:
  const ServiceContext c_;
};

class SealServiceImpl final : public v1::SealService::CallbackService {
 public:
  explicit SealServiceImpl(ServiceContext context) : c_(std::move(context)) {}

  grpc::ServerUnaryReactor* ApplySeal(grpc::CallbackServerContext* ctx, const v1::ApplySealRequest* request,
                                      v1::Seal* response) override;
  grpc::ServerUnaryReactor* ReportSealEvent(grpc::CallbackServerContext* ctx,
                                            const v1::ReportSealEventRequest* request, v1::Seal* response) override;
  grpc::ServerUnaryReactor* GetSeal(grpc::CallbackServerContext* ctx, const v1::GetSealRequest* request,
                                    v1::Seal* response) override;
  grpc::ServerUnaryReactor* RequestUnlock(grpc::CallbackServerContext* ctx, const v1::RequestUnlockRequest* request,
                                          v1::RequestUnlockResponse* response) override;
  grpc::ServerUnaryReactor* RegisterTerminal(grpc::CallbackServerContext* ctx,
                                             const v1::RegisterTerminalRequest* request,
                                             v1::Terminal* response) override;

 private:
  const ServiceContext c_;
};

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_SERVICES_H_
