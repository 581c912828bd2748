// SealService: customs officers' handheld terminals; the seal book behind it is in server/seals.h.
#include "absl/strings/str_cat.h"
#include "server/calls.h"
#include "server/request_checks.h"
#include "server/services.h"

namespace yardgate::server {

absl::Status Authorize(const grpc::CallbackServerContext& ctx, const std::vector<Credential>& credentials,
                       const std::string& role, const std::string& claimed_id) {
  const auto& metadata = ctx.client_metadata();
  const auto it = metadata.find("authorization");
  constexpr absl::string_view kBearer = "Bearer ";
  if (it == metadata.end() || it->second.size() <= kBearer.size() ||
      std::string(it->second.data(), kBearer.size()) != kBearer) {
    return absl::UnauthenticatedError(
        absl::StrCat("this call needs the token of the ", role, " it names: metadata \"authorization: Bearer <token>\""));
  }
  const std::string secret(it->second.data() + kBearer.size(), it->second.size() - kBearer.size());
  for (const Credential& c : credentials) {
    if (c.secret.size() != secret.size()) continue;
    // Compare every byte, so the time taken says nothing about how much matched.
    unsigned char diff = 0;
    for (size_t i = 0; i < secret.size(); ++i) diff |= static_cast<unsigned char>(c.secret[i] ^ secret[i]);
    if (diff != 0) continue;
    if (c.role != role || c.id != claimed_id) {
      return absl::PermissionDeniedError(
          absl::StrCat("this token belongs to ", c.role, " ", c.id, ", not to ", role, " ", Quote(claimed_id)));
    }
    return absl::OkStatus();
  }
  return absl::UnauthenticatedError("the token is not known");
}

grpc::ServerUnaryReactor* SealServiceImpl::ApplySeal(grpc::CallbackServerContext* ctx,
                                                     const v1::ApplySealRequest* request, v1::Seal* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::Status auth = Authorize(*ctx, c_.credentials, "officer", request->officer_id()); !auth.ok()) {
    reply(auth);
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
  if (absl::Status auth = Authorize(*ctx, c_.credentials, "officer", request->officer_id()); !auth.ok()) {
    reply(auth);
    return reactor;
  }
  c_.seals->ReportEvent(*request, std::move(reply));
  return reactor;
}

grpc::ServerUnaryReactor* SealServiceImpl::GetSeal(grpc::CallbackServerContext* ctx, const v1::GetSealRequest* request,
                                                   v1::Seal* response) {
  if (absl::Status s = CheckId("seal_id", request->seal_id()); !s.ok()) return FinishNow<v1::Seal>(ctx, s, response);
  return FinishNow(ctx, c_.seals->Get(request->seal_id()), response);
}

grpc::ServerUnaryReactor* SealServiceImpl::RequestUnlock(grpc::CallbackServerContext* ctx,
                                                         const v1::RequestUnlockRequest* request,
                                                         v1::RequestUnlockResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::Status auth = Authorize(*ctx, c_.credentials, "officer", request->officer_id()); !auth.ok()) {
    reply(auth);
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
  if (absl::Status auth = Authorize(*ctx, c_.credentials, "admin", request->operator_id()); !auth.ok()) {
    reply(auth);
    return reactor;
  }
  c_.seals->RegisterTerminal(*request, std::move(reply));
  return reactor;
}

}  // namespace yardgate::server
