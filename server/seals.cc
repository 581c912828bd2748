#include "server/seals.h"

#include <SQLiteCpp/Statement.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "common/iso6346.h"
#include "gate/decision.h"
#include "yardgate/storage/seal_record.pb.h"
#include "common/plate_text.h"

namespace yardgate::server {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::UnixEpoch()) return google::protobuf::Timestamp();
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t, absl::Time fallback) {
  if (t.seconds() == 0 && t.nanos() == 0) return fallback;
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

void SetPoint(const std::optional<seal::GeoPoint>& p, storage::GeoPoint* out) {
  out->set_latitude(p->latitude);
  out->set_longitude(p->longitude);
}

std::optional<seal::GeoPoint> GetPoint(bool has, const storage::GeoPoint& p) {
  if (!has) return std::nullopt;
  return seal::GeoPoint{p.latitude(), p.longitude()};
}

storage::SealRecord ToStorage(const seal::SealRecord& r) {
  storage::SealRecord s;
  s.set_seal_id(r.seal_id);
  s.set_kind(static_cast<int>(r.kind));
  for (const std::string& c : r.container_numbers) s.add_container_numbers(c);
  s.set_plate(r.plate);
  s.set_device_id(r.device_id);
  s.set_applied_by(r.applied_by);
  s.set_applied_place(r.applied_place);
  s.set_applied_at_us(absl::ToUnixMicros(r.applied_at));
  if (r.applied_position) SetPoint(r.applied_position, s.mutable_applied_position());
  s.set_state(static_cast<int>(r.state));
  s.set_state_before_alarm(static_cast<int>(r.state_before_alarm));
  for (const std::string& a : r.open_alarms) s.add_open_alarms(a);
  s.set_updated_at_us(absl::ToUnixMicros(r.updated_at));
  if (r.last_position) SetPoint(r.last_position, s.mutable_last_position());
  s.set_has_last_report(r.last_report_at != absl::InfinitePast());
  if (s.has_last_report()) s.set_last_report_at_us(absl::ToUnixMicros(r.last_report_at));
  if (r.departure_reference) SetPoint(r.departure_reference, s.mutable_departure_reference());
  for (const std::string& a : r.device_alarms) s.add_device_alarms(a);
  s.set_device_lock_state(static_cast<int>(r.device_lock_state));
  s.set_verified_by_gate(r.verified_by_gate);
  s.set_unlock_authorized(r.unlock_authorized);
  s.set_unlock_authorized_by(r.unlock_authorized_by);
  s.set_signal_lost_raised(r.signal_lost_raised);
  return s;
}

seal::SealRecord FromStorage(const storage::SealRecord& s) {
  seal::SealRecord r;
  r.seal_id = s.seal_id();
  r.kind = static_cast<seal::SealKind>(s.kind());
  r.container_numbers.assign(s.container_numbers().begin(), s.container_numbers().end());
  r.plate = s.plate();
  r.device_id = s.device_id();
  r.applied_by = s.applied_by();
  r.applied_place = s.applied_place();
  r.applied_at = absl::FromUnixMicros(s.applied_at_us());
  r.applied_position = GetPoint(s.has_applied_position(), s.applied_position());
  r.state = static_cast<seal::SealState>(s.state());
  r.state_before_alarm = static_cast<seal::SealState>(s.state_before_alarm());
  r.open_alarms.assign(s.open_alarms().begin(), s.open_alarms().end());
  r.updated_at = absl::FromUnixMicros(s.updated_at_us());
  r.last_position = GetPoint(s.has_last_position(), s.last_position());
  r.last_report_at = s.has_last_report() ? absl::FromUnixMicros(s.last_report_at_us()) : absl::InfinitePast();
  r.departure_reference = GetPoint(s.has_departure_reference(), s.departure_reference());
  r.device_alarms.assign(s.device_alarms().begin(), s.device_alarms().end());
  r.device_lock_state = static_cast<seal::LockState>(s.device_lock_state());
  r.verified_by_gate = s.verified_by_gate();
  r.unlock_authorized = s.unlock_authorized();
  r.unlock_authorized_by = s.unlock_authorized_by();
  r.signal_lost_raised = s.signal_lost_raised();
  return r;
}

// Rows that persist the seals a change touched.
Store::Work SealRows(std::vector<seal::SealRecord> seals) {
  if (seals.empty()) return nullptr;
  return [seals = std::move(seals)](SQLite::Database& db) {
    SQLite::Statement q(db, "INSERT OR REPLACE INTO seals (seal_id, device_id, body) VALUES (?, ?, ?)");
    for (const seal::SealRecord& r : seals) {
      const std::string body = ToStorage(r).SerializeAsString();
      q.bind(1, r.seal_id);
      q.bind(2, r.device_id);
      q.bind(3, body.data(), static_cast<int>(body.size()));
      q.exec();
      q.reset();
    }
  };
}

// A SealChange as yard side effects: one event per transition (refused ones included) and
// the touched seals' snapshots.
SideEffects ToSideEffects(const seal::SealChange& change, const std::string& lane_id = "",
                          const std::string& visit_id = "") {
  SideEffects effects;
  for (const seal::SealTransition& t : change.transitions) {
    v1::Event e = ToEvent(t);
    e.set_lane_id(lane_id);
    e.set_visit_id(visit_id);
    effects.events.push_back(std::move(e));
  }
  effects.rows = SealRows(change.seals);
  return effects;
}

template <class Resp>
Yard::Change<Resp> ToChange(const seal::SealChange& change) {
  Yard::Change<Resp> out;
  out.status = change.status;
  out.Append(ToSideEffects(change));
  return out;
}

absl::Time Now() { return absl::Now(); }

}  // namespace

v1::Seal ToProto(const seal::SealRecord& r) {
  v1::Seal s;
  s.set_seal_id(r.seal_id);
  s.set_kind(static_cast<v1::SealKind>(r.kind));
  for (const std::string& c : r.container_numbers) s.add_container_numbers(c);
  s.set_plate(r.plate);
  s.set_device_id(r.device_id);
  s.set_applied_by(r.applied_by);
  s.set_applied_place(r.applied_place);
  *s.mutable_applied_at() = ToTimestamp(r.applied_at);
  s.set_state(static_cast<v1::SealState>(r.state));
  for (const std::string& a : r.open_alarms) s.add_open_alarms(a);
  *s.mutable_updated_at() = ToTimestamp(r.updated_at);
  if (r.last_position) {
    s.set_last_latitude(r.last_position->latitude);
    s.set_last_longitude(r.last_position->longitude);
  }
  return s;
}

v1::Event ToEvent(const seal::SealTransition& t) {
  v1::Event e;
  *e.mutable_time() = ToTimestamp(t.time);
  v1::SealChanged* c = e.mutable_seal_changed();
  c->set_seal_id(t.seal_id);
  c->set_from(static_cast<v1::SealState>(t.from));
  c->set_to(static_cast<v1::SealState>(t.to));
  c->set_cause(t.cause);
  c->set_source(t.source);
  c->set_refused(t.refused);
  c->set_detail(t.detail);
  return e;
}

Seals::Seals(const Config& config, Store* store)
    : config_(config), store_(store), book_([&] {
        seal::SealBookOptions options;
        for (const SealConfig::Circle& c : config.seals.yard_areas) {
          seal::YardArea area;
          area.name = c.name;
          area.center = {c.latitude, c.longitude};
          area.radius_m = c.radius_m;
          options.yard_areas.push_back(area);
        }
        options.departure_radius_m = config.seals.departure_radius_m;
        options.signal_lost_after = absl::Seconds(config.seals.signal_lost_after_s);
        return options;
      }()) {}

absl::StatusOr<std::unique_ptr<Seals>> Seals::Load(const Config& config, Store* store) {
  std::unique_ptr<Seals> seals(new Seals(config, store));
  std::vector<seal::SealRecord> records;
  absl::Status read = store->Read([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT body FROM seals");
    while (q.executeStep()) {
      const SQLite::Column body = q.getColumn(0);
      storage::SealRecord s;
      if (!s.ParseFromArray(body.getBlob(), body.getBytes())) throw std::runtime_error("a stored seal does not parse");
      records.push_back(FromStorage(s));
    }
  });
  if (!read.ok()) return read;
  absl::Status restored = seals->book_.Restore(std::move(records));
  if (!restored.ok()) return restored;
  return seals;
}

Seals::~Seals() { Stop(); }

absl::Status Seals::StartGateway(Yard* yard) {
  yard_ = yard;
  seal::Jt808GatewayOptions options;
  options.listen = config_.jt808_listen;
  // A position is acknowledged to the lock only once it is on disk.
  options.ack_reports_when_durable = true;
  absl::StatusOr<std::unique_ptr<seal::Jt808Gateway>> gateway = seal::Jt808Gateway::Start(options, this);
  if (!gateway.ok()) {
    return absl::UnavailableError(absl::StrCat("JT/T 808 gateway: ", gateway.status().message()));
  }
  gateway_ = *std::move(gateway);
  watchdog_ = std::thread([this] { WatchSignals(); });
  return absl::OkStatus();
}

void Seals::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  if (gateway_) gateway_->Stop();
}

int Seals::jt808_port() const { return gateway_ ? gateway_->port() : 0; }

void Seals::WatchSignals() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::seconds(30), [this] { return stopping_; })) {
    lock.unlock();
    yard_->Mutate<v1::Seal>("seal-signal", "", "", [](absl::StatusOr<v1::Seal>) {},
                            [this]() -> absl::StatusOr<Yard::Change<v1::Seal>> {
                              return ToChange<v1::Seal>(book_.CheckSignal(Now()));
                            });
    lock.lock();
  }
}

void Seals::Apply(const v1::ApplySealRequest& request, Reply<v1::Seal> reply) {
  if (request.seal_id().empty()) return reply(absl::InvalidArgumentError("seal_id is required"));
  if (request.kind() == v1::SEAL_KIND_UNSPECIFIED) {
    return reply(absl::InvalidArgumentError("kind is required (GPS_ELOCK, RFID_ESEAL or MECHANICAL)"));
  }
  if (request.officer_id().empty()) return reply(absl::InvalidArgumentError("officer_id is required"));
  if (request.container_numbers().empty() && request.plate().empty()) {
    return reply(absl::InvalidArgumentError("a seal is bound to container_numbers, a plate, or both"));
  }
  if (request.kind() == v1::SEAL_KIND_GPS_ELOCK && request.device_id().empty()) {
    return reply(absl::InvalidArgumentError("a GPS e-lock needs its device_id (the JT/T 808 terminal id)"));
  }
  seal::ApplySealRequest apply;
  for (int i = 0; i < request.container_numbers_size(); ++i) {
    const std::string number = common::NormalizeContainerNumber(request.container_numbers(i));
    const absl::Status valid = common::ValidateContainerNumber(number);
    if (!valid.ok()) {
      return reply(absl::InvalidArgumentError(absl::StrCat("container_numbers[", i, "]: ", valid.message())));
    }
    apply.container_numbers.push_back(number);
  }
  if ((request.latitude() != 0 || request.longitude() != 0) &&
      (std::abs(request.latitude()) > 90 || std::abs(request.longitude()) > 180)) {
    return reply(absl::InvalidArgumentError("latitude or longitude out of range"));
  }
  apply.seal_id = request.seal_id();
  apply.kind = static_cast<seal::SealKind>(request.kind());
  apply.plate = common::NormalizePlate(request.plate());
  // Terminal ids are compared without leading zeros, as the gateway reports them.
  apply.device_id = request.device_id();
  apply.device_id.erase(0, std::min(apply.device_id.find_first_not_of('0'), apply.device_id.size()));
  apply.officer_id = request.officer_id();
  apply.place = request.place();
  apply.time = FromTimestamp(request.applied_at(), Now());
  if (request.latitude() != 0 || request.longitude() != 0) {
    apply.position = seal::GeoPoint{request.latitude(), request.longitude()};
  }
  yard_->Mutate<v1::Seal>("ApplySeal", request.idempotency_key(), RequestHash(request), reply,
                          [&]() -> absl::StatusOr<Yard::Change<v1::Seal>> {
                            const seal::SealChange change = book_.Apply(apply);
                            Yard::Change<v1::Seal> out = ToChange<v1::Seal>(change);
                            if (!change.seals.empty()) out.response = ToProto(change.seals.back());
                            return out;
                          });
}

void Seals::ReportEvent(const v1::ReportSealEventRequest& request, Reply<v1::Seal> reply) {
  if (request.seal_id().empty()) return reply(absl::InvalidArgumentError("seal_id is required"));
  if (request.officer_id().empty()) return reply(absl::InvalidArgumentError("officer_id is required"));
  if (request.kind() == v1::SEAL_EVENT_KIND_UNSPECIFIED) {
    return reply(absl::InvalidArgumentError("kind is required (VERIFIED, BROKEN, TAMPERED, REMOVED, ALARM_CLEARED)"));
  }
  seal::SealEventRequest event;
  event.seal_id = request.seal_id();
  event.kind = static_cast<seal::SealEventKind>(request.kind());
  event.officer_id = request.officer_id();
  event.detail = request.detail();
  event.time = FromTimestamp(request.time(), Now());
  yard_->Mutate<v1::Seal>("ReportSealEvent", request.idempotency_key(), RequestHash(request), reply,
                          [&]() -> absl::StatusOr<Yard::Change<v1::Seal>> {
                            const seal::SealChange change = book_.ReportEvent(event);
                            if (change.status.code() == absl::StatusCode::kNotFound) return change.status;
                            Yard::Change<v1::Seal> out = ToChange<v1::Seal>(change);
                            if (std::optional<seal::SealRecord> r = book_.Get(request.seal_id())) out.response = ToProto(*r);
                            return out;
                          });
}

absl::StatusOr<v1::Seal> Seals::Get(const std::string& seal_id) const {
  std::optional<seal::SealRecord> r = book_.Get(seal_id);
  if (!r) return absl::NotFoundError(absl::StrCat("no seal '", seal_id, "'"));
  return ToProto(*r);
}

void Seals::RequestUnlock(const v1::RequestUnlockRequest& request, Reply<v1::RequestUnlockResponse> reply) {
  if (request.seal_id().empty()) return reply(absl::InvalidArgumentError("seal_id is required"));
  if (request.officer_id().empty()) return reply(absl::InvalidArgumentError("officer_id is required"));
  const std::string key = request.idempotency_key();
  const std::string hash = RequestHash(request);
  if (yard_->ReplayIfRepeated("RequestUnlock", key, hash, reply)) return;
  // Authorise (logged, durable), then send; the result is logged and, with the key,
  // remembered, so a retry after the fact gets this answer and sends nothing.
  auto device = std::make_shared<std::string>();
  yard_->Mutate<v1::RequestUnlockResponse>(
      "RequestUnlock.authorise", "", "",
      [this, reply, device, key, hash, seal_id = request.seal_id()](absl::StatusOr<v1::RequestUnlockResponse> r) {
        if (!r.ok() || r->result() != v1::UNLOCK_RESULT_UNSPECIFIED) return reply(r);
        SendUnlock(seal_id, *device, [this, reply, key, hash](v1::RequestUnlockResponse result) {
          yard_->Mutate<v1::RequestUnlockResponse>(
              "RequestUnlock", key, hash, reply,
              [result]() -> absl::StatusOr<Yard::Change<v1::RequestUnlockResponse>> {
                Yard::Change<v1::RequestUnlockResponse> out;
                out.response = result;
                return out;
              });
        });
      },
      [&]() -> absl::StatusOr<Yard::Change<v1::RequestUnlockResponse>> {
        seal::UnlockRequest unlock{request.seal_id(), request.officer_id(), true, request.reason(), Now()};
        const seal::UnlockDecision decision = book_.AuthorizeUnlock(unlock);
        if (decision.change.status.code() == absl::StatusCode::kNotFound) return decision.change.status;
        Yard::Change<v1::RequestUnlockResponse> out = ToChange<v1::RequestUnlockResponse>(decision.change);
        if (decision.change.status.ok() && !decision.needs_device) {
          out.response.set_result(v1::UNLOCK_RESULT_NOT_NEEDED);
          out.response.set_detail("this seal has no lock to open: the officer removes it");
        }
        *device = decision.device_id;
        return out;
      });
}

void Seals::SendUnlock(const std::string& seal_id, const std::string& device_id,
                       std::function<void(v1::RequestUnlockResponse)> done) {
  gateway_->SendUnlock(
      device_id, absl::Milliseconds(config_.unlock_ttl_ms),
      [this, seal_id, done](seal::UnlockOutcome outcome, const std::string& detail) {
        // On the gateway thread: record the outcome through the yard, then answer.
        yard_->Mutate<v1::RequestUnlockResponse>(
            "seal-unlock-result", "", "",
            [done](absl::StatusOr<v1::RequestUnlockResponse> r) {
              if (r.ok()) done(*r);
            },
            [&]() -> absl::StatusOr<Yard::Change<v1::RequestUnlockResponse>> {
              const seal::SealChange change = book_.OnUnlockResult(seal_id, outcome, detail, Now());
              Yard::Change<v1::RequestUnlockResponse> out = ToChange<v1::RequestUnlockResponse>(change);
              out.status = absl::OkStatus();  // the outcome is the answer, whatever it is
              out.response.set_result(static_cast<v1::UnlockResult>(outcome));
              out.response.set_detail(detail);
              if (std::optional<seal::SealRecord> r = book_.Get(seal_id)) *out.response.mutable_seal() = ToProto(*r);
              return out;
            });
      });
}

SideEffects Seals::OnGateArrival(const std::string& lane_id, const std::string& plate,
                                 const std::vector<std::string>& containers) {
  seal::GateArrival arrival{absl::StrCat("gate:", lane_id), plate, containers, Now()};
  return ToSideEffects(book_.OnGateArrival(arrival), lane_id);
}

std::vector<gate::SealView> Seals::SealsFor(const std::string& plate, const std::vector<std::string>& containers,
                                            const std::vector<std::string>& seal_ids) {
  // On every decision, under the yard's lock: copy only the seals that concern this truck.
  const std::vector<seal::SealRecord> found = book_.Select([&](const seal::SealRecord& r) {
    const bool named = std::find(seal_ids.begin(), seal_ids.end(), r.seal_id) != seal_ids.end();
    const bool on_box = std::any_of(r.container_numbers.begin(), r.container_numbers.end(), [&](const std::string& c) {
      return std::find(containers.begin(), containers.end(), c) != containers.end();
    });
    const bool on_truck = !plate.empty() && r.plate == plate && seal::IsArmed(r.state);
    return named || on_box || on_truck;
  });
  std::vector<gate::SealView> out;
  for (const seal::SealRecord& r : found) {
    out.push_back({r.seal_id, r.state, r.open_alarms, r.plate, r.container_numbers});
  }
  return out;
}

SideEffects Seals::OnGateOpen(const std::string& visit_id, const std::vector<std::string>& seal_ids) {
  SideEffects all;
  std::vector<std::pair<std::string, std::string>> to_unlock;  // seal, device
  for (const std::string& id : seal_ids) {
    std::optional<seal::SealRecord> r = book_.Get(id);
    if (!r) continue;
    seal::SealChange verified;
    if (r->state == seal::SealState::kArrived) verified = book_.Verify(id, "gate", Now(), absl::StrCat("visit ", visit_id));
    const seal::UnlockDecision unlock = book_.AuthorizeUnlock({id, "gate", false, absl::StrCat("visit ", visit_id), Now()});
    all.Append(ToSideEffects(verified, "", visit_id));
    all.Append(ToSideEffects(unlock.change, "", visit_id));
    if (unlock.change.status.ok() && unlock.needs_device) to_unlock.emplace_back(id, unlock.device_id);
  }
  if (!to_unlock.empty()) {
    all.after_commit = [this, to_unlock] {
      for (const auto& [seal_id, device_id] : to_unlock) SendUnlock(seal_id, device_id, [](v1::RequestUnlockResponse) {});
    };
  }
  return all;
}

void Seals::OnReport(const seal::DeviceReport& report) {
  yard_->Mutate<v1::Seal>(
      "device-report", "", "",
      [ack = report.acknowledge](absl::StatusOr<v1::Seal> stored) {
        // Not stored: no acknowledgement, so the lock sends the report again.
        if (stored.ok() && ack) ack();
      },
      [&]() -> absl::StatusOr<Yard::Change<v1::Seal>> {
        const seal::DeviceReportOutcome outcome = book_.OnDeviceReport(report);
        Yard::Change<v1::Seal> out = ToChange<v1::Seal>(outcome.change);
        out.status = absl::OkStatus();
        bool raise = false;
        if (!outcome.bound) {
          // Kept always; raised on the first report and then every ten minutes per device.
          std::lock_guard<std::mutex> lock(mu_);
          absl::Time& last = unbound_raised_[report.device_id];
          raise = report.received - last >= absl::Minutes(10);
          if (raise) last = report.received;
        }
        v1::Event raised;
        *raised.mutable_time() = ToTimestamp(report.received);
        v1::DeviceReport* d = raised.mutable_device_report();
        d->set_device_id(report.device_id);
        d->set_seal_id(outcome.seal_id);
        d->set_latitude(report.latitude);
        d->set_longitude(report.longitude);
        for (const std::string& a : report.alarms) d->add_alarms(a);
        for (const std::string& a : report.seal_alarms) d->add_alarms(a);
        d->set_lock_state(seal::LockStateName(report.lock_state));
        const std::string body = raised.device_report().SerializeAsString();
        if (raise) out.events.push_back(std::move(raised));
        Store::Work seal_rows = std::move(out.rows);
        out.rows = [seal_rows, report, body, seal_id = outcome.seal_id](SQLite::Database& db) {
          if (seal_rows) seal_rows(db);
          if (!report.position_valid) return;
          SQLite::Statement q(db, "INSERT INTO device_positions (device_id, seal_id, time_ms, latitude, longitude, body) VALUES (?, ?, ?, ?, ?, ?)");
          q.bind(1, report.device_id);
          q.bind(2, seal_id);
          q.bind(3, static_cast<int64_t>(absl::ToUnixMillis(report.time)));
          q.bind(4, report.latitude);
          q.bind(5, report.longitude);
          q.bind(6, body.data(), static_cast<int>(body.size()));
          q.exec();
        };
        return out;
      });
}

}  // namespace yardgate::server
