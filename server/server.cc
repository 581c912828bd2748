#include "server/server.h"

#include <chrono>
#include <filesystem>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "server/lanes.h"
#include "server/ocr_frame_reader.h"
#include "server/seals.h"
#include "server/services.h"
#include "server/store.h"
#include "server/worker_pool.h"
#include "server/yard.h"
#include "yardgate/v1/seal_service.grpc.pb.h"

namespace yardgate::server {

struct YardgateServer::Parts {
  Config config;
  std::unique_ptr<Store> store;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<SupervisedLanes> lanes;
  std::unique_ptr<OcrFrameReader> ocr;
  std::unique_ptr<Seals> seals;
  std::unique_ptr<Yard> yard;
  std::unique_ptr<GateServiceImpl> gate_service;
  std::unique_ptr<TerminalServiceImpl> terminal_service;
  std::unique_ptr<SealServiceImpl> seal_service;
  std::unique_ptr<grpc::Server> grpc_server;
};

absl::StatusOr<std::unique_ptr<YardgateServer>> YardgateServer::Start(const Config& config) {
  auto parts = std::make_unique<Parts>();
  parts->config = config;

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot create data directory ", config.data_dir, ": ", ec.message()));
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open((std::filesystem::path(config.data_dir) / "yardgate.db").string());
  if (!store.ok()) return store.status();
  parts->store = *std::move(store);
  parts->workers = std::make_unique<WorkerPool>(config.worker_threads);

  absl::StatusOr<std::unique_ptr<SupervisedLanes>> lanes = SupervisedLanes::Start(config.lanes);
  if (!lanes.ok()) return lanes.status();
  parts->lanes = *std::move(lanes);

  absl::StatusOr<std::unique_ptr<Seals>> seals = Seals::Load(config, parts->store.get());
  if (!seals.ok()) return seals.status();
  parts->seals = *std::move(seals);

  absl::StatusOr<std::unique_ptr<Yard>> yard =
      Yard::Load(config, parts->store.get(), parts->lanes.get(), parts->seals.get());
  if (!yard.ok()) return yard.status();
  parts->yard = *std::move(yard);
  Yard* y = parts->yard.get();
  parts->lanes->SetSinks([y](v1::Event e) { y->RecordEvent(std::move(e)); },
                         [y](const std::string& visit_id) {
                           // The closing loop saw the truck through: the same as the kiosk's report.
                           v1::ReportPassageRequest req;
                           req.set_idempotency_key("closing-loop-" + visit_id);
                           req.set_visit_id(visit_id);
                           y->ReportPassage(req, [](absl::StatusOr<v1::ReportPassageResponse>) {});
                         });

  ocr::EngineOptions ocr_options;
  ocr_options.auto_threshold = config.policy.auto_threshold;
  ocr_options.threads = config.worker_threads;
  ocr_options.max_frame_bytes = static_cast<size_t>(config.max_frame_bytes);
  ocr_options.visit_budget_ms = config.ocr_budget_ms;
  parts->ocr = std::make_unique<OcrFrameReader>(ocr_options);
  parts->gate_service = std::make_unique<GateServiceImpl>(parts->yard.get(), parts->workers.get(), parts->ocr.get());
  parts->terminal_service = std::make_unique<TerminalServiceImpl>(parts->yard.get(), parts->workers.get(), config.credentials);
  if (absl::Status s = parts->seals->StartGateway(parts->yard.get()); !s.ok()) return s;
  parts->seal_service = std::make_unique<SealServiceImpl>(parts->seals.get(), config.credentials);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.grpc_listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(config.max_message_bytes);
  // Event subscriptions stay open for days through NATs and firewalls: keep them alive, and let
  // clients ping as often as every 10 s without being dropped for it (too_many_pings).
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.RegisterService(parts->gate_service.get());
  builder.RegisterService(parts->terminal_service.get());
  builder.RegisterService(parts->seal_service.get());
  parts->grpc_server = builder.BuildAndStart();
  if (parts->grpc_server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", config.grpc_listen));
  }
  grpc::HealthCheckServiceInterface* health = parts->grpc_server->GetHealthCheckService();
  for (const char* service : {"yardgate.v1.GateService", "yardgate.v1.SealService", "yardgate.v1.TerminalService"}) {
    health->SetServingStatus(service, true);
  }

  std::unique_ptr<YardgateServer> server(new YardgateServer(std::move(parts)));
  server->grpc_port_ = port;
  return server;
}

YardgateServer::YardgateServer(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

YardgateServer::~YardgateServer() { Shutdown(); }

void YardgateServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  parts_->grpc_server->GetHealthCheckService()->Shutdown();
  // Streams finish as soon as the log says so; then gRPC can stop within its deadline.
  parts_->yard->events().Shutdown();
  parts_->grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  parts_->grpc_server->Wait();
  parts_->seals->Stop();
  parts_->lanes->Stop();
  parts_->workers.reset();
  parts_->store->Close();
}

absl::Status YardgateServer::Reload() {
  if (parts_->config.config_path.empty()) return absl::OkStatus();
  absl::StatusOr<Config> config = LoadConfig(parts_->config.config_path);
  if (!config.ok()) return config.status();
  parts_->yard->SetPolicy(config->policy);
  return absl::OkStatus();
}

std::string YardgateServer::grpc_address() const {
  const std::string& listen = parts_->config.grpc_listen;
  return absl::StrCat(listen.substr(0, listen.rfind(':')), ":", grpc_port_);
}

Yard& YardgateServer::yard() { return *parts_->yard; }

SupervisedLanes& YardgateServer::lanes() { return *parts_->lanes; }

Seals& YardgateServer::seals() { return *parts_->seals; }

}  // namespace yardgate::server
