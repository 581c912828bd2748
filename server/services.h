// The gRPC adapters: GateService, SealService and TerminalService over the yard.
//
// They translate between the wire and the yard and nothing more: the rules live in gate/ and
// in Yard, so they are tested without gRPC. Unary handlers finish from the thread that
// completes the work (the store's writer, or a worker for OCR); streams write one event at a
// time from the event log.
//
// Thread-safety: as gRPC's callback services; all state lives in Yard and EventLog.
#ifndef YARDGATE_SERVER_SERVICES_H_
#define YARDGATE_SERVER_SERVICES_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "server/arrival_reads.h"
#include "server/seals.h"
#include "server/worker_pool.h"
#include "server/yard.h"
#include "yardgate/v1/gate_service.grpc.pb.h"
#include "yardgate/v1/seal_service.grpc.pb.h"
#include "yardgate/v1/terminal_service.grpc.pb.h"

namespace yardgate::server {

grpc::Status ToGrpc(const absl::Status& status);

// OK when the call carries "authorization: Bearer <secret>" of a credential with `role` and
// the id `claimed_id` (the clerk_id or officer_id the request names); Unauthenticated without
// a valid token, PermissionDenied when it belongs to someone else or another role.
absl::Status Authorize(const grpc::CallbackServerContext& ctx, const std::vector<Credential>& credentials,
                       const std::string& role, const std::string& claimed_id);

class GateServiceImpl final : public v1::GateService::CallbackService {
 public:
  // `frames` may be null: then arrivals with camera frames get FAILED_PRECONDITION.
  GateServiceImpl(Yard* yard, WorkerPool* workers, FrameReader* frames)
      : yard_(yard), workers_(workers), frames_(frames) {}

  grpc::ServerUnaryReactor* SubmitArrival(grpc::CallbackServerContext* ctx,
                                          const v1::SubmitArrivalRequest* request,
                                          v1::SubmitArrivalResponse* response) override;
  grpc::ServerUnaryReactor* ReportPassage(grpc::CallbackServerContext* ctx,
                                          const v1::ReportPassageRequest* request,
                                          v1::ReportPassageResponse* response) override;
  grpc::ServerUnaryReactor* RequestAssistance(grpc::CallbackServerContext* ctx,
                                              const v1::RequestAssistanceRequest* request,
                                              v1::RequestAssistanceResponse* response) override;
  grpc::ServerWriteReactor<v1::Event>* WatchLane(grpc::CallbackServerContext* ctx,
                                                  const v1::WatchLaneRequest* request) override;

 private:
  Yard* const yard_;
  WorkerPool* const workers_;
  FrameReader* const frames_;
};

class SealServiceImpl final : public v1::SealService::CallbackService {
 public:
  SealServiceImpl(Seals* seals, std::vector<Credential> credentials)
      : seals_(seals), credentials_(std::move(credentials)) {}

  grpc::ServerUnaryReactor* ApplySeal(grpc::CallbackServerContext* ctx, const v1::ApplySealRequest* request,
                                      v1::Seal* response) override;
  grpc::ServerUnaryReactor* ReportSealEvent(grpc::CallbackServerContext* ctx,
                                            const v1::ReportSealEventRequest* request,
                                            v1::Seal* response) override;
  grpc::ServerUnaryReactor* GetSeal(grpc::CallbackServerContext* ctx, const v1::GetSealRequest* request,
                                    v1::Seal* response) override;
  grpc::ServerUnaryReactor* RequestUnlock(grpc::CallbackServerContext* ctx,
                                          const v1::RequestUnlockRequest* request,
                                          v1::RequestUnlockResponse* response) override;

 private:
  Seals* const seals_;
  const std::vector<Credential> credentials_;
};

class TerminalServiceImpl final : public v1::TerminalService::CallbackService {
 public:
  TerminalServiceImpl(Yard* yard, WorkerPool* workers, std::vector<Credential> credentials)
      : yard_(yard), workers_(workers), credentials_(std::move(credentials)) {}

  grpc::ServerUnaryReactor* UpsertAppointment(grpc::CallbackServerContext* ctx,
                                              const v1::UpsertAppointmentRequest* request,
                                              v1::Appointment* response) override;
  grpc::ServerUnaryReactor* CancelAppointment(grpc::CallbackServerContext* ctx,
                                              const v1::CancelAppointmentRequest* request,
                                              v1::Appointment* response) override;
  grpc::ServerUnaryReactor* SetCustomsStatus(grpc::CallbackServerContext* ctx,
                                             const v1::SetCustomsStatusRequest* request,
                                             v1::SetCustomsStatusResponse* response) override;
  grpc::ServerUnaryReactor* ListVisits(grpc::CallbackServerContext* ctx,
                                       const v1::ListVisitsRequest* request,
                                       v1::ListVisitsResponse* response) override;
  grpc::ServerUnaryReactor* GetVisit(grpc::CallbackServerContext* ctx,
                                     const v1::GetVisitRequest* request, v1::Visit* response) override;
  grpc::ServerWriteReactor<v1::Event>* Subscribe(grpc::CallbackServerContext* ctx,
                                                  const v1::SubscribeRequest* request) override;
  grpc::ServerUnaryReactor* ListTroubleVisits(grpc::CallbackServerContext* ctx,
                                              const v1::ListTroubleVisitsRequest* request,
                                              v1::ListTroubleVisitsResponse* response) override;
  grpc::ServerUnaryReactor* ResolveTrouble(grpc::CallbackServerContext* ctx,
                                           const v1::ResolveTroubleRequest* request,
                                           v1::Visit* response) override;

 private:
  Yard* const yard_;
  WorkerPool* const workers_;
  const std::vector<Credential> credentials_;
};

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_SERVICES_H_
