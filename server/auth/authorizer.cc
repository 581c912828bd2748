#include "server/auth/authorizer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/auth/transport.h"

namespace yardgate::auth {
namespace {

absl::string_view View(grpc::string_ref s) { return absl::string_view(s.data(), s.size()); }

std::vector<std::string> Property(const grpc::AuthContext* ctx, const char* name) {
  std::vector<std::string> values;
  if (ctx == nullptr) return values;
  for (grpc::string_ref v : ctx->FindPropertyValues(name)) values.emplace_back(View(v));
  return values;
}

bool IsTls(const grpc::AuthContext* ctx) {
  const std::vector<std::string> type = Property(ctx, GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME);
  return !type.empty() && type.front() == GRPC_SSL_TRANSPORT_SECURITY_TYPE;
}

// What the processor knows of the peer: gRPC 1.51 gives it the connection's security
// properties but not its address.
std::string TransportIdentity(const grpc::AuthContext* ctx) {
  if (!IsTls(ctx)) {
    const std::vector<std::string> type = Property(ctx, GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME);
    return type.empty() ? "insecure" : type.front();
  }
  const std::vector<std::string> cn = Property(ctx, GRPC_X509_CN_PROPERTY_NAME);
  return cn.empty() ? "tls without client certificate" : absl::StrCat("tls CN=", cn.front());
}

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::Status WithMethod(absl::string_view method, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(method, ": ", s.message()));
}

std::string CallerName(const absl::StatusOr<std::optional<Principal>>& who) {
  if (!who.ok()) return "unidentified";
  return who->has_value() ? (*who)->ToString() : "nobody";
}

}  // namespace

class Authorizer::MetadataProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit MetadataProcessor(const Authorizer* authorizer) : authorizer_(authorizer) {}

  // Lookups and the audit sink do not block, so the call need not hop to another thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext* context, OutputMetadata* /*consumed*/,
                       OutputMetadata* /*response*/) override {
    // Nothing is consumed: Authorize reads the token again (see the header).
    return ToGrpc(authorizer_->CheckCall(metadata, context));
  }

 private:
  const Authorizer* const authorizer_;
};

Authorizer::Authorizer(CredentialStore* credentials, AuditSink audit, LaneOfVisit lane_of_visit)
    : credentials_(credentials), audit_(std::move(audit)), lane_of_visit_(std::move(lane_of_visit)) {}

std::shared_ptr<grpc::AuthMetadataProcessor> Authorizer::Processor() const {
  return std::make_shared<MetadataProcessor>(this);
}

absl::StatusOr<std::optional<Principal>> Authorizer::Identify(const Credentials& credentials, const Metadata& metadata,
                                                              const grpc::AuthContext* auth_context) {
  const auto [first, end] = metadata.equal_range(kAuthorizationHeader);
  if (first != end) {
    if (std::next(first) != end) return absl::UnauthenticatedError("the call carries more than one authorization header");
    const absl::string_view value = View(first->second);
    constexpr absl::string_view kScheme = "bearer ";
    if (value.size() <= kScheme.size() || !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
      return absl::UnauthenticatedError("the authorization header is not \"Bearer <token>\"");
    }
    const Principal* p = credentials.FindToken(absl::StripAsciiWhitespace(value.substr(kScheme.size())));
    if (p == nullptr) return absl::UnauthenticatedError("the bearer token is not known (revoked, rotated out or mistyped)");
    if (IsDevice(p->role) && IsTls(auth_context)) {
      return absl::UnauthenticatedError(absl::StrCat(
          "the token is ", p->ToString(), "'s, but ", RoleName(p->role),
          " principals authenticate with their client certificate over TLS, not with a token"));
    }
    return std::optional<Principal>(*p);
  }
  if (!IsTls(auth_context)) return std::optional<Principal>();
  const std::vector<std::string> cn = Property(auth_context, GRPC_X509_CN_PROPERTY_NAME);
  const std::vector<std::string> san = Property(auth_context, GRPC_X509_SAN_PROPERTY_NAME);
  std::vector<std::string> names = cn;
  names.insert(names.end(), san.begin(), san.end());
  if (names.empty()) return std::optional<Principal>();
  absl::StatusOr<const Principal*> p = credentials.FindCertificate(names);
  if (!p.ok()) return p.status();
  if (*p == nullptr) {
    return absl::UnauthenticatedError(absl::StrCat("the client certificate CN=", absl::StrJoin(cn, ","),
                                                   " SAN=", absl::StrJoin(san, ","),
                                                   " is not mapped by a cert line of [auth]"));
  }
  return std::optional<Principal>(**p);
}

absl::Status Authorizer::Refuse(std::string method, std::string caller, std::string peer, absl::Status status) const {
  if (audit_) audit_(Refusal{std::move(method), std::move(caller), std::move(peer), status});
  return status;
}

absl::Status Authorizer::CheckCall(const Metadata& metadata, const grpc::AuthContext* auth_context) const {
  const auto path = metadata.find(":path");
  const std::string method = path != metadata.end() ? std::string(View(path->second)) : "";
  const MethodPolicy* policy = FindPolicy(method);
  if (policy != nullptr && policy->anyone) return absl::OkStatus();  // no credentials looked at
  const absl::StatusOr<std::optional<Principal>> who = Identify(*credentials_->Current(), metadata, auth_context);
  if (!who.ok() && policy != nullptr) {
    return Refuse(method, CallerName(who), TransportIdentity(auth_context), WithMethod(method, who.status()));
  }
  const Principal* caller = who.ok() && who->has_value() ? &**who : nullptr;
  if (absl::Status s = CheckCaller(method, policy, caller); !s.ok()) {
    return Refuse(method, CallerName(who), TransportIdentity(auth_context), s);
  }
  return absl::OkStatus();
}

absl::StatusOr<Principal> Authorizer::Authorize(const grpc::ServerContextBase& ctx,
                                                const google::protobuf::Message& request) const {
  const std::shared_ptr<const grpc::AuthContext> auth_context = ctx.auth_context();
  const absl::StatusOr<std::optional<Principal>> who =
      Identify(*credentials_->Current(), ctx.client_metadata(), auth_context.get());
  absl::StatusOr<const MethodPolicy*> policy = FindPolicyForRequest(*request.GetDescriptor());
  if (!policy.ok()) return policy.status();
  if (*policy == nullptr) {
    // Only reachable without the processor (insecure mode), which refuses such calls by path.
    return Refuse(request.GetDescriptor()->full_name(), CallerName(who), ctx.peer(),
                  absl::PermissionDeniedError(absl::StrCat("no method in the policy table takes a ",
                                                           request.GetDescriptor()->full_name(), ": refused for ",
                                                           CallerName(who))));
  }
  const MethodPolicy& p = **policy;
  if (p.anyone) return absl::InternalError(absl::StrCat(p.method, " is open to anyone: it has no caller to authorize"));
  if (!who.ok()) return Refuse(std::string(p.method), "unidentified", ctx.peer(), WithMethod(p.method, who.status()));
  const Principal* caller = who->has_value() ? &**who : nullptr;
  absl::Status s = CheckCaller(p.method, &p, caller);
  if (s.ok()) s = CheckRequest(p, *caller, request, lane_of_visit_);
  if (!s.ok()) {
    if (!absl::IsPermissionDenied(s) && !absl::IsUnauthenticated(s)) return s;  // not a refusal
    return Refuse(std::string(p.method), CallerName(who), ctx.peer(), s);
  }
  return **who;
}

}  // namespace yardgate::auth
