#include "server/server.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "gate/gate_core.h"
#include "server/auth/authorizer.h"
#include "server/auth/transport.h"
#include "server/journal.h"
#include "server/lanes.h"
#include "server/ocr_frame_reader.h"
#include "server/seals.h"
#include "server/services.h"
#include "server/sqlite_store.h"
#include "server/worker_pool.h"

namespace yardgate::server {
namespace {

constexpr const char* kServices[] = {"yardgate.v1.GateService", "yardgate.v1.SealService",
                                     "yardgate.v1.TerminalService"};

// Where effects go: barrier effects to the lanes, unlocks to the seal bridge. Each hands the work
// to its own thread at once (this is called from the store's writer thread).
class EffectDispatcher final : public EffectRunner {
 public:
  EffectDispatcher(SupervisedLanes* lanes, Seals* seals) : lanes_(lanes), seals_(seals) {}
  void Run(const gate::Effect& effect, std::function<void(absl::Status)> done) override {
    if (const auto* unlock = std::get_if<gate::UnlockSeal>(&effect)) {
      seals_->SendUnlock(*unlock, std::move(done));
      return;
    }
    lanes_->Run(effect, std::move(done));
  }

 private:
  SupervisedLanes* const lanes_;
  Seals* const seals_;
};

// A journal entry that only commits `change` (the server's own changes: lane events, passages
// reported by the closing loop, effect results).
absl::StatusOr<Journal::Entry> EntryOf(absl::StatusOr<gate::Change> change) {
  if (!change.ok()) return change.status();
  Journal::Entry entry;
  entry.change = *std::move(change);
  return entry;
}

}  // namespace

// The audit trail of refused calls, through the journal. A flood of refused calls must not become
// a flood of commits: at most kRefusalsPerSecond are recorded one by one, the rest counted.
class RefusalRecorder {
 public:
  explicit RefusalRecorder(Journal* journal) : journal_(journal) {}
  void Record(const auth::Refusal& refusal) {
    constexpr int kRefusalsPerSecond = 50;
    const absl::Time now = absl::Now();
    std::string comment;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (now - window_start_ >= absl::Seconds(1)) {
        if (dropped_ > 0) comment = absl::StrCat(dropped_, " more refusals in the second before were not recorded");
        window_start_ = now;
        recorded_ = 0;
        dropped_ = 0;
      }
      if (++recorded_ > kRefusalsPerSecond) {
        ++dropped_;
        return;
      }
    }
    gate::AuditRecord record{0, now, refusal.caller, "REFUSED", refusal.method, refusal.peer,
                             std::string(refusal.status.message()), comment};
    journal_->Execute(Journal::Call{}, [record]() -> absl::StatusOr<Journal::Entry> {
      Journal::Entry entry;
      entry.change.writes.audit.push_back(record);
      return entry;
    }, [](absl::StatusOr<std::string>) {});
  }

 private:
  Journal* const journal_;
  std::mutex mu_;
  absl::Time window_start_ = absl::InfinitePast();  // guarded by mu_
  int recorded_ = 0;                                // guarded by mu_
  int dropped_ = 0;                                 // guarded by mu_
};

struct YardgateServer::Parts {
  Config config;
  std::unique_ptr<gate::Store> store;
  std::unique_ptr<WorkerPool> io;
  std::unique_ptr<WorkerPool> ocr_pool;
  std::unique_ptr<SupervisedLanes> lanes;
  std::unique_ptr<OcrFrameReader> ocr;
  std::unique_ptr<Seals> seals;
  std::unique_ptr<gate::GateCore> core;
  std::unique_ptr<EffectDispatcher> effects;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<RefusalRecorder> refusals;
  // Outlive the gRPC server: every call goes through them.
  std::unique_ptr<auth::CredentialStore> credentials;
  std::unique_ptr<auth::Authorizer> authorizer;
  std::unique_ptr<GateServiceImpl> gate_service;
  std::unique_ptr<TerminalServiceImpl> terminal_service;
  std::unique_ptr<SealServiceImpl> seal_service;
  std::unique_ptr<grpc::Server> grpc_server;
};

absl::StatusOr<std::unique_ptr<YardgateServer>> YardgateServer::Start(const Config& config,
                                                                      std::unique_ptr<gate::Store> store) {
  auto parts = std::make_unique<Parts>();
  Parts& p = *parts;
  p.config = config;
  common::Clock* clock = common::RealClock::Default();

  if (store == nullptr) {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("cannot create data directory ", config.data_dir, ": ", ec.message()));
    }
    absl::StatusOr<std::unique_ptr<SqliteStore>> sqlite =
        SqliteStore::Open((std::filesystem::path(config.data_dir) / "yardgate.db").string());
    if (!sqlite.ok()) return sqlite.status();
    store = *std::move(sqlite);
  }
  p.store = std::move(store);
  p.io = std::make_unique<WorkerPool>(2);
  // OCR has its own pool, so camera visits never stall subscriptions and reads.
  p.ocr_pool = std::make_unique<WorkerPool>(config.worker_threads);

  absl::StatusOr<std::unique_ptr<SupervisedLanes>> lanes = SupervisedLanes::Start(config.lanes);
  if (!lanes.ok()) return lanes.status();
  p.lanes = *std::move(lanes);
  p.seals = std::make_unique<Seals>(config, clock);
  p.core = std::make_unique<gate::GateCore>(config.CoreOptions(), clock, p.lanes.get(), p.seals.get());
  p.effects = std::make_unique<EffectDispatcher>(p.lanes.get(), p.seals.get());
  p.journal = std::make_unique<Journal>(p.store.get(), clock, p.effects.get(),
                                        Journal::Options{absl::Hours(config.memory_hours), absl::Seconds(1)});

  gate::GateCore* core = p.core.get();
  Seals* seals = p.seals.get();
  Journal* journal = p.journal.get();
  absl::Status started = journal->Start(
      [core, seals](const gate::StoredState& state) -> absl::StatusOr<gate::Change> {
        if (absl::Status s = seals->Restore(state.blobs); !s.ok()) return s;
        return core->Restore(state);
      },
      [core, seals](const gate::Effect& effect, const absl::Status& result) -> std::optional<Journal::Compute> {
        if (const auto* unlock = std::get_if<gate::UnlockSeal>(&effect)) {
          return seals->RecordUnlockResult(*unlock, result);
        }
        return Journal::Compute([core, effect, result] {
          absl::StatusOr<gate::Outcome<std::optional<gate::Visit>>> out =
              core->RecordBarrierResult({effect, result});
          if (!out.ok()) return EntryOf(out.status());
          return EntryOf(std::move(out->change));
        });
      },
      [core](const gate::IdempotencyRecord& record) { return RenderPendingAnswer(*core, record); });
  if (!started.ok()) return started;

  p.lanes->SetSinks(
      [journal, core](const gate::LaneReport& report) {
        journal->Execute(Journal::Call{}, [core, report] { return EntryOf(core->RecordLaneReport(report)); },
                         [](absl::StatusOr<std::string>) {});
      },
      [journal, core](const std::string& visit_id) {
        // The closing loop saw the truck through: the same passage a kiosk may also report.
        journal->Execute(Journal::Call{},
                         [core, visit_id] {
                           absl::StatusOr<gate::Outcome<gate::Visit>> out =
                               core->ReportPassage(visit_id, gate::PassageSource::kClosingLoop);
                           if (!out.ok()) return EntryOf(out.status());
                           return EntryOf(std::move(out->change));
                         },
                         [](absl::StatusOr<std::string>) {});
      });

  ocr::EngineOptions ocr_options;
  // The engine's auto_ok and the gate's thresholds are one setting ([decision]).
  ocr_options.auto_threshold = config.policy.auto_threshold;
  ocr_options.container_auto_threshold = config.policy.container_auto_threshold;
  ocr_options.threads = config.worker_threads;
  ocr_options.max_frame_bytes = static_cast<size_t>(config.max_frame_bytes);
  ocr_options.visit_budget_ms = config.ocr_budget_ms;
  p.ocr = std::make_unique<OcrFrameReader>(ocr_options);
  std::string gateway_notice;
  if (absl::Status s = p.seals->StartGateway(journal, &gateway_notice); !s.ok()) return s;
  if (!gateway_notice.empty()) std::fprintf(stderr, "yardgate-server: %s\n", gateway_notice.c_str());

  absl::StatusOr<std::shared_ptr<const auth::Credentials>> credentials =
      auth::Credentials::Create(config.auth.tokens, config.auth.certificates);
  if (!credentials.ok()) return credentials.status();
  p.credentials = std::make_unique<auth::CredentialStore>(*credentials);
  p.refusals = std::make_unique<RefusalRecorder>(journal);
  RefusalRecorder* refusals = p.refusals.get();
  p.authorizer = std::make_unique<auth::Authorizer>(
      p.credentials.get(), [refusals](const auth::Refusal& r) { refusals->Record(r); },
      [journal, core](const std::string& visit_id) -> absl::StatusOr<std::string> {
        const std::optional<gate::Visit> visit =
            journal->Read<std::optional<gate::Visit>>([&] { return core->FindVisit(visit_id); });
        if (!visit) return absl::NotFoundError(absl::StrCat("no open visit '", visit_id.substr(0, 64), "'"));
        return visit->lane_id;
      });
  absl::StatusOr<auth::ServerTransport> transport =
      auth::BuildServerTransport(config.auth.transport, config.grpc_listen, p.authorizer->Processor());
  if (!transport.ok()) return transport.status();
  std::fprintf(stderr, "yardgate-server: %s\n", transport->notice.c_str());

  ServiceContext context;
  context.config = &p.config;
  context.core = core;
  context.journal = journal;
  context.store = p.store.get();
  context.io = p.io.get();
  context.ocr = p.ocr_pool.get();
  context.frames = p.ocr.get();
  context.seals = seals;
  context.authorizer = p.authorizer.get();
  p.gate_service = std::make_unique<GateServiceImpl>(context);
  p.terminal_service = std::make_unique<TerminalServiceImpl>(context);
  p.seal_service = std::make_unique<SealServiceImpl>(context);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.grpc_listen, transport->credentials, &port);
  builder.SetMaxReceiveMessageSize(config.max_message_bytes);
  // Event subscriptions stay open for days through NATs and firewalls: keep them alive, and let
  // clients ping as often as every 10 s without being dropped for it (too_many_pings).
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.RegisterService(p.gate_service.get());
  builder.RegisterService(p.terminal_service.get());
  builder.RegisterService(p.seal_service.get());
  p.grpc_server = builder.BuildAndStart();
  if (p.grpc_server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", config.grpc_listen));
  }
  grpc::HealthCheckServiceInterface* health = p.grpc_server->GetHealthCheckService();
  for (const char* service : kServices) health->SetServingStatus(service, true);
  // The gate fails closed when its store refuses writes, and says so: NOT_SERVING until the
  // store recovers.
  journal->SetHealthListener([health](bool healthy, const std::string&) {
    health->SetServingStatus(healthy);
    for (const char* service : kServices) health->SetServingStatus(service, healthy);
  });
  if (!journal->healthy()) health->SetServingStatus(false);

  std::unique_ptr<YardgateServer> server(new YardgateServer(std::move(parts)));
  server->grpc_port_ = port;
  return server;
}

YardgateServer::YardgateServer(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

YardgateServer::~YardgateServer() { Shutdown(); }

void YardgateServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  Parts& p = *parts_;
  p.journal->SetHealthListener(nullptr);
  p.grpc_server->GetHealthCheckService()->Shutdown();
  // Streams finish as soon as the log says so; then gRPC can stop within its deadline.
  p.journal->events().Shutdown();
  p.grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  p.grpc_server->Wait();
  p.seals->Stop();
  p.lanes->Stop();
  p.ocr_pool.reset();
  p.io.reset();
  p.journal->Stop();
  p.store->Close();
}

absl::Status YardgateServer::Reload() {
  if (parts_->config.config_path.empty()) return absl::OkStatus();
  absl::StatusOr<Config> config = LoadConfig(parts_->config.config_path);
  if (!config.ok()) return config.status();
  // Tokens rotate without a restart; a table that does not build keeps the old one.
  absl::StatusOr<std::shared_ptr<const auth::Credentials>> credentials =
      auth::Credentials::Create(config->auth.tokens, config->auth.certificates);
  if (!credentials.ok()) return credentials.status();
  parts_->credentials->Replace(*credentials);
  gate::GateCore* core = parts_->core.get();
  parts_->journal->Read<int>([&] {
    core->SetPolicy(config->policy);
    return 0;
  });
  return absl::OkStatus();
}

std::string YardgateServer::grpc_address() const {
  const std::string& listen = parts_->config.grpc_listen;
  return absl::StrCat(listen.substr(0, listen.rfind(':')), ":", grpc_port_);
}

Journal& YardgateServer::journal() { return *parts_->journal; }

SupervisedLanes& YardgateServer::lanes() { return *parts_->lanes; }

Seals& YardgateServer::seals() { return *parts_->seals; }

}  // namespace yardgate::server
