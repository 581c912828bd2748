// SealService: customs officers' handheld terminals (the seal book behind it is in server/seals.h), and
// Admit, the first question of every handler.
#include "absl/strings/str_cat.h"
#include "server/calls.h"
#include "server/request_checks.h"
#include "server/services.h"
#include "yardgate/request_parsing.h"

namespace yardgate::server {

absl::StatusOr<auth::Principal> Admit(const ServiceContext& context, const grpc::CallbackServerContext& ctx,
                                      const google::protobuf::Message& request) {
  if (std::optional<std::string> error = v1::RequestParseError(request)) return absl::InvalidArgumentError(*error);
  return context.authorizer->Authorize(ctx, request);
}

grpc::ServerUnaryReactor* SealServiceImpl::ApplySeal(grpc::CallbackServerContext* ctx,
                                                     const v1::ApplySealRequest* request, v1::Seal* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    reply(caller.status());
    return reactor;
  }
  c_.seals->Apply(*request, std::move(reply));
  return reactor;
}

grpc::ServerUnaryReactor* SealServiceImpl::ReportSealEvent(grpc::CallbackServerContext* ctx,
                                                           const v1::ReportSealEventRequest* request,
                                                           v1::Seal* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    reply(caller.status());
    return reactor;
  }
  c_.seals->ReportEvent(*request, std::move(reply));
  return reactor;
}

grpc::ServerUnaryReactor* SealServiceImpl::GetSeal(grpc::CallbackServerContext* ctx, const v1::GetSealRequest* request,
                                                   v1::Seal* response) {
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    return FinishNow<v1::Seal>(ctx, caller.status(), response);
  }
  if (absl::Status s = CheckId("seal_id", request->seal_id()); !s.ok()) return FinishNow<v1::Seal>(ctx, s, response);
  return FinishNow(ctx, c_.seals->Get(request->seal_id()), response);
}

grpc::ServerUnaryReactor* SealServiceImpl::RequestUnlock(grpc::CallbackServerContext* ctx,
                                                         const v1::RequestUnlockRequest* request,
                                                         v1::RequestUnlockResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    reply(caller.status());
    return reactor;
  }
  c_.seals->RequestUnlock(*request, std::move(reply));
  return reactor;
}

grpc::ServerUnaryReactor* SealServiceImpl::RegisterTerminal(grpc::CallbackServerContext* ctx,
                                                            const v1::RegisterTerminalRequest* request,
                                                            v1::Terminal* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    reply(caller.status());
    return reactor;
  }
  c_.seals->RegisterTerminal(*request, std::move(reply));
  return reactor;
}

}  // namespace yardgate::server
