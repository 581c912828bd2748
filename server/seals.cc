#include "server/seals.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/iso6346.h"
#include "common/plate_text.h"
#include "server/calls.h"
#include "server/convert.h"
#include "server/request_checks.h"
#include "yardgate/storage/seal_record.pb.h"

namespace yardgate::server {
namespace {

constexpr char kSealKind[] = "seal";
constexpr char kTerminalKind[] = "terminal";

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


gate::SealCondition ConditionOf(seal::SealState state) {
  switch (state) {
    case seal::SealState::kApplied:
    case seal::SealState::kInTransit:
      return gate::SealCondition::kArmed;
    case seal::SealState::kArrived:
      return gate::SealCondition::kArrived;
    case seal::SealState::kVerified:
      return gate::SealCondition::kVerified;
    case seal::SealState::kUnlocked:
      return gate::SealCondition::kUnlocked;
    case seal::SealState::kRemoved:
      return gate::SealCondition::kRemoved;
    case seal::SealState::kAlarm:
      return gate::SealCondition::kAlarm;
    case seal::SealState::kNone:
      break;
  }
  return gate::SealCondition::kUnknown;
}

// What a SealChange writes and logs: one event per transition (refused ones included) and the
// touched seals' snapshots.
gate::Change ToGateChange(const seal::SealChange& change, const std::string& lane_id = "",
                          const std::string& visit_id = "") {
  gate::Change out;
  for (const seal::SealTransition& t : change.transitions) {
    gate::Event e;
    e.lane_id = lane_id;
    e.visit_id = visit_id;
    e.occurred_at = t.time;
    e.payload = gate::SealChanged{t.seal_id, static_cast<gate::SealStateCode>(t.from),
                                  static_cast<gate::SealStateCode>(t.to), t.cause, t.source, t.refused, t.detail};
    out.events.push_back(std::move(e));
  }
  for (const seal::SealRecord& r : change.seals) {
    out.writes.blobs.push_back({kSealKind, r.seal_id, ToStorage(r).SerializeAsString(), false});
  }
  return out;
}

// The answer a seal call gets: the seal as it is now, or the book's refusal.
Journal::Entry SealEntry(const seal::SealChange& change, std::optional<seal::SealRecord> seal) {
  Journal::Entry entry;
  entry.change = ToGateChange(change);
  const absl::Status status = change.status;
  entry.respond = [status, seal](const Journal::Committed&) -> absl::StatusOr<std::string> {
    if (!status.ok()) return status;
    return seal ? ToProto(*seal).SerializeAsString() : v1::Seal().SerializeAsString();
  };
  return entry;
}

absl::Status CheckOfficerCall(const std::string& key, const std::string& seal_id, const std::string& officer_id) {
  if (absl::Status s = CheckIdempotencyKey(key); !s.ok()) return s;
  if (absl::Status s = CheckId("seal_id", seal_id); !s.ok()) return s;
  return CheckId("officer_id", officer_id);
}

}  // namespace

absl::Status UnlockStatus(seal::UnlockOutcome outcome, const std::string& detail) {
  switch (outcome) {
    case seal::UnlockOutcome::kAcknowledged:
      return absl::OkStatus();
    case seal::UnlockOutcome::kFailed:
      return absl::AbortedError(detail);
    case seal::UnlockOutcome::kDeviceOffline:
      return absl::UnavailableError(detail);
    case seal::UnlockOutcome::kExpired:
      return absl::DeadlineExceededError(detail);
  }
  return absl::UnknownError(detail);
}

seal::UnlockOutcome UnlockOutcomeOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return seal::UnlockOutcome::kAcknowledged;
    case absl::StatusCode::kUnavailable:
      return seal::UnlockOutcome::kDeviceOffline;
    case absl::StatusCode::kDeadlineExceeded:
      return seal::UnlockOutcome::kExpired;
    default:
      return seal::UnlockOutcome::kFailed;
  }
}

v1::Seal ToProto(const seal::SealRecord& r) {
  v1::Seal s;
  s.set_seal_id(r.seal_id);
  s.set_kind(static_cast<v1::SealKind>(r.kind));
  for (const std::string& c : r.container_numbers) s.add_container_numbers(c);
  s.set_plate(r.plate);
  s.set_device_id(r.device_id);
  s.set_applied_by(r.applied_by);
  s.set_applied_place(r.applied_place);
  *s.mutable_applied_at() = TimeToWire(r.applied_at);
  s.set_state(static_cast<v1::SealState>(r.state));
  for (const std::string& a : r.open_alarms) s.add_open_alarms(a);
  *s.mutable_updated_at() = TimeToWire(r.updated_at);
  if (r.last_position) {
    s.set_last_latitude(r.last_position->latitude);
    s.set_last_longitude(r.last_position->longitude);
  }
  return s;
}


Seals::Seals(const Config& config, common::Clock* clock)
    : config_(config), clock_(clock), book_([&] {
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

Seals::~Seals() { Stop(); }

absl::Status Seals::Restore(const std::vector<gate::BlobRecord>& blobs) {
  std::vector<seal::SealRecord> records;
  std::map<std::string, seal::KnownTerminal> terminals;
  std::map<std::string, std::string> known_by;
  for (const gate::BlobRecord& b : blobs) {
    if (b.kind == kSealKind) {
      storage::SealRecord s;
      if (!s.ParseFromString(b.body)) return absl::DataLossError(absl::StrCat("stored seal ", b.key, " does not parse"));
      records.push_back(FromStorage(s));
    } else if (b.kind == kTerminalKind) {
      storage::TerminalRecord t;
      if (!t.ParseFromString(b.body)) return absl::DataLossError(absl::StrCat("stored terminal ", b.key, " does not parse"));
      terminals[t.device_id()] = {t.device_id(), t.lock_family(), t.auth_code()};
      known_by[t.device_id()] = t.known_by();
    }
  }
  if (absl::Status s = book_.Restore(std::move(records)); !s.ok()) return s;
  terminals_ = std::move(terminals);
  known_by_ = std::move(known_by);
  // After a recovery the gateway learns the stored codes again (they are the truth).
  if (gateway_ != nullptr) {
    for (const auto& [id, t] : terminals_) (void)gateway_->AddKnownTerminal(t);
  }
  return absl::OkStatus();
}

absl::Status Seals::StartGateway(Journal* journal, std::string* notice) {
  journal_ = journal;
  watchdog_ = std::thread([this] { WatchSignals(); });
  if (config_.seals.lock_family_passwords.empty()) {
    *notice = "JT/T 808 gateway off: no [lock_family] with its unlock_password is configured";
    return absl::OkStatus();
  }
  seal::Jt808GatewayOptions options;
  options.listen = config_.jt808_listen;
  for (const auto& [family, password] : config_.seals.lock_family_passwords) options.lock_families[family] = {password};
  for (const auto& [id, t] : terminals_) {
    if (options.lock_families.count(t.lock_family)) {
      options.known_terminals.push_back(t);
    } else {
      // A family taken out of the config: its terminals are not served until it comes back.
      absl::StrAppend(notice, notice->empty() ? "" : "; ", "terminal ", id, " of lock family ", t.lock_family,
                      " is not served: that family is not configured");
    }
  }
  // A position is acknowledged to the lock only once it is on disk.
  options.ack_reports_when_durable = true;
  absl::StatusOr<std::unique_ptr<seal::Jt808Gateway>> gateway = seal::Jt808Gateway::Start(options, this);
  if (!gateway.ok()) return absl::UnavailableError(absl::StrCat("JT/T 808 gateway: ", gateway.status().message()));
  gateway_ = *std::move(gateway);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<seal::KnownTerminal>> Seals::NewTerminal(const std::string& device_id,
                                                                      const std::string& family) const {
  absl::StatusOr<std::string> id = seal::NormalizeTerminalId(device_id);
  if (!id.ok()) return absl::InvalidArgumentError(absl::StrCat("device_id ", Quote(device_id), ": ", id.status().message()));
  const std::string chosen = family.empty() ? config_.seals.DefaultLockFamily() : family;
  if (chosen.empty()) {
    return absl::FailedPreconditionError(
        "no lock family to put the terminal in: configure [lock_family NAME] and [seals] default_lock_family");
  }
  if (!config_.seals.lock_family_passwords.count(chosen)) {
    return absl::InvalidArgumentError(absl::StrCat("lock_family ", Quote(chosen), " is not configured"));
  }
  const auto it = terminals_.find(*id);
  if (it != terminals_.end() && it->second.lock_family == chosen) return std::optional<seal::KnownTerminal>();
  return std::optional<seal::KnownTerminal>(seal::KnownTerminal{*id, chosen, it == terminals_.end() ? "" : it->second.auth_code});
}

namespace {

gate::BlobRecord TerminalBlob(const seal::KnownTerminal& t, const std::string& known_by) {
  storage::TerminalRecord r;
  r.set_device_id(t.device_id);
  r.set_lock_family(t.lock_family);
  r.set_auth_code(t.auth_code);
  r.set_known_by(known_by);
  return {kTerminalKind, t.device_id, r.SerializeAsString(), false};
}

}  // namespace

void Seals::MakeKnown(const seal::KnownTerminal& terminal) {
  if (gateway_ != nullptr) (void)gateway_->AddKnownTerminal(terminal);
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
    journal_->Execute(Journal::Call{}, [this]() -> absl::StatusOr<Journal::Entry> {
      Journal::Entry entry;
      entry.change = ToGateChange(book_.CheckSignal(clock_->Now()));
      return entry;
    }, [](absl::StatusOr<std::string>) {});
    lock.lock();
  }
}

void Seals::Apply(const v1::ApplySealRequest& request, Journal::Reply reply) {
  if (absl::Status s = CheckOfficerCall(request.idempotency_key(), request.seal_id(), request.officer_id()); !s.ok()) {
    return reply(s);
  }
  if (request.kind() == v1::SEAL_KIND_UNSPECIFIED || !v1::SealKind_IsValid(request.kind())) {
    return reply(absl::InvalidArgumentError("kind is required (GPS_ELOCK, RFID_ESEAL or MECHANICAL)"));
  }
  if (request.container_numbers().empty() && request.plate().empty()) {
    return reply(absl::InvalidArgumentError("a seal is bound to container_numbers, a plate, or both"));
  }
  if (request.kind() == v1::SEAL_KIND_GPS_ELOCK && request.device_id().empty()) {
    return reply(absl::InvalidArgumentError("a GPS e-lock needs its device_id (the JT/T 808 terminal id)"));
  }
  if (absl::Status s = CheckId("device_id", request.device_id(), false); !s.ok()) return reply(s);
  seal::ApplySealRequest apply;
  for (int i = 0; i < request.container_numbers_size(); ++i) {
    const std::string number = common::NormalizeContainerNumber(request.container_numbers(i));
    if (const absl::Status valid = common::ValidateContainerNumber(number); !valid.ok()) {
      return reply(absl::InvalidArgumentError(absl::StrCat("container_numbers[", i, "]: ", valid.message())));
    }
    apply.container_numbers.push_back(number);
  }
  const double lat = request.latitude(), lon = request.longitude();
  if (!std::isfinite(lat) || !std::isfinite(lon) || std::abs(lat) > 90 || std::abs(lon) > 180) {
    return reply(absl::InvalidArgumentError(
        absl::StrCat("latitude ", lat, " / longitude ", lon, " out of range ([-90, 90], [-180, 180])")));
  }
  absl::StatusOr<absl::Time> applied_at = TimeFromWire(request.applied_at(), "applied_at");
  if (!applied_at.ok()) return reply(applied_at.status());
  apply.seal_id = request.seal_id();
  apply.kind = static_cast<seal::SealKind>(request.kind());
  apply.plate = common::NormalizePlate(request.plate());
  // Terminal ids are compared without leading zeros, as the gateway reports them.
  apply.device_id = request.device_id();
  apply.device_id.erase(0, std::min(apply.device_id.find_first_not_of('0'), apply.device_id.size()));
  apply.officer_id = request.officer_id();
  apply.place = request.place();
  apply.time = *applied_at == absl::InfinitePast() ? clock_->Now() : *applied_at;
  if (lat != 0 || lon != 0) apply.position = seal::GeoPoint{lat, lon};
  auto terminal = std::make_shared<std::optional<seal::KnownTerminal>>();
  journal_->Execute(CallFor("ApplySeal", request), [this, apply, terminal]() -> absl::StatusOr<Journal::Entry> {
    // A seal that names an e-lock makes its terminal known (only known terminals get a code).
    if (apply.kind == seal::SealKind::kGpsElock) {
      absl::StatusOr<std::optional<seal::KnownTerminal>> added =
          NewTerminal(apply.device_id, "");
      if (!added.ok()) return added.status();
      *terminal = *added;
    }
    const seal::SealChange change = book_.Apply(apply);
    std::optional<seal::SealRecord> seal;
    if (!change.seals.empty()) seal = change.seals.back();
    Journal::Entry entry = SealEntry(change, seal);
    if (*terminal && change.status.ok()) {
      const std::string known_by = absl::StrCat("seal ", apply.seal_id);
      entry.change.writes.blobs.push_back(TerminalBlob(**terminal, known_by));
      terminals_[(*terminal)->device_id] = **terminal;
      known_by_[(*terminal)->device_id] = known_by;
    }
    return entry;
  }, [this, terminal, reply = std::move(reply)](absl::StatusOr<std::string> answer) {
    if (answer.ok() && *terminal) MakeKnown(**terminal);
    reply(std::move(answer));
  });
}

void Seals::ReportEvent(const v1::ReportSealEventRequest& request, Journal::Reply reply) {
  if (absl::Status s = CheckOfficerCall(request.idempotency_key(), request.seal_id(), request.officer_id()); !s.ok()) {
    return reply(s);
  }
  if (request.kind() == v1::SEAL_EVENT_KIND_UNSPECIFIED || !v1::SealEventKind_IsValid(request.kind())) {
    return reply(absl::InvalidArgumentError("kind is required (VERIFIED, BROKEN, TAMPERED, REMOVED, ALARM_CLEARED)"));
  }
  if (absl::Status s = CheckText("detail", request.detail()); !s.ok()) return reply(s);
  absl::StatusOr<absl::Time> time = TimeFromWire(request.time(), "time");
  if (!time.ok()) return reply(time.status());
  seal::SealEventRequest event;
  event.seal_id = request.seal_id();
  event.kind = static_cast<seal::SealEventKind>(request.kind());
  event.officer_id = request.officer_id();
  event.detail = request.detail();
  event.time = *time == absl::InfinitePast() ? clock_->Now() : *time;
  journal_->Execute(CallFor("ReportSealEvent", request), [this, event]() -> absl::StatusOr<Journal::Entry> {
    const seal::SealChange change = book_.ReportEvent(event);
    if (change.status.code() == absl::StatusCode::kNotFound) return change.status;
    return SealEntry(change, book_.Get(event.seal_id));
  }, std::move(reply));
}

absl::StatusOr<v1::Seal> Seals::Get(const std::string& seal_id) const {
  std::optional<seal::SealRecord> r = book_.Get(seal_id);
  if (!r) return absl::NotFoundError(absl::StrCat("no seal ", Quote(seal_id)));
  return ToProto(*r);
}

void Seals::RequestUnlock(const v1::RequestUnlockRequest& request, Journal::Reply reply) {
  if (absl::Status s = CheckOfficerCall(request.idempotency_key(), request.seal_id(), request.officer_id()); !s.ok()) {
    return reply(s);
  }
  if (absl::Status s = CheckText("reason", request.reason()); !s.ok()) return reply(s);
  // Authorise and send in one call; the answer waits for the lock's. The result is logged and,
  // with the key, remembered, so a retry after the fact gets this answer and sends nothing.
  const seal::UnlockRequest unlock{request.seal_id(), request.officer_id(), true, request.reason(), clock_->Now()};
  journal_->Execute(CallFor("RequestUnlock", request), [this, unlock]() -> absl::StatusOr<Journal::Entry> {
    const seal::UnlockDecision decision = book_.AuthorizeUnlock(unlock);
    if (decision.change.status.code() == absl::StatusCode::kNotFound) return decision.change.status;
    Journal::Entry entry;
    entry.change = ToGateChange(decision.change);
    const bool send = decision.change.status.ok() && decision.needs_device;
    if (send) entry.change.effects.push_back(gate::UnlockSeal{unlock.seal_id, decision.device_id, ""});
    entry.awaits = [](const gate::Effect& e) { return std::holds_alternative<gate::UnlockSeal>(e); };
    entry.respond = [this, status = decision.change.status, send,
                     seal_id = unlock.seal_id](const Journal::Committed& c) -> absl::StatusOr<std::string> {
      if (!status.ok()) return status;
      v1::RequestUnlockResponse response;
      if (!send) {
        response.set_result(v1::UNLOCK_RESULT_NOT_NEEDED);
        response.set_detail("this seal has no lock to open: the officer removes it");
      } else {
        const absl::Status& answer = c.effect_results.at(0);
        response.set_result(static_cast<v1::UnlockResult>(UnlockOutcomeOf(answer)));
        response.set_detail(answer.ok() ? "unlocked" : std::string(answer.message()));
      }
      if (std::optional<seal::SealRecord> r = book_.Get(seal_id)) *response.mutable_seal() = ToProto(*r);
      return response.SerializeAsString();
    };
    return entry;
  }, std::move(reply));
}

void Seals::RegisterTerminal(const v1::RegisterTerminalRequest& request, Journal::Reply reply) {
  if (absl::Status s = CheckIdempotencyKey(request.idempotency_key()); !s.ok()) return reply(s);
  if (absl::Status s = CheckId("device_id", request.device_id()); !s.ok()) return reply(s);
  if (absl::Status s = CheckId("lock_family", request.lock_family(), false); !s.ok()) return reply(s);
  if (absl::Status s = CheckId("operator_id", request.operator_id()); !s.ok()) return reply(s);
  auto terminal = std::make_shared<std::optional<seal::KnownTerminal>>();
  journal_->Execute(
      CallFor("RegisterTerminal", request),
      [this, request, terminal]() -> absl::StatusOr<Journal::Entry> {
        const std::string known_by = absl::StrCat("admin ", request.operator_id());
        absl::StatusOr<std::optional<seal::KnownTerminal>> added =
            NewTerminal(request.device_id(), request.lock_family());
        if (!added.ok()) return added.status();
        *terminal = *added;
        Journal::Entry entry;
        std::string device_id = request.device_id();
        if (*terminal) {
          entry.change.writes.blobs.push_back(TerminalBlob(**terminal, known_by));
          entry.change.writes.audit.push_back({0, clock_->Now(), request.operator_id(), "REGISTER_TERMINAL",
                                               (*terminal)->device_id, "",
                                               absl::StrCat("lock family ", (*terminal)->lock_family), ""});
          terminals_[(*terminal)->device_id] = **terminal;
          known_by_[(*terminal)->device_id] = known_by;
          device_id = (*terminal)->device_id;
        }
        const seal::KnownTerminal& t = terminals_.at(*seal::NormalizeTerminalId(device_id));
        v1::Terminal out;
        out.set_device_id(t.device_id);
        out.set_lock_family(t.lock_family);
        out.set_known_by(known_by_[t.device_id]);
        out.set_has_auth_code(!t.auth_code.empty());
        out.set_online(gateway_ != nullptr && gateway_->IsOnline(t.device_id));
        entry.respond = [bytes = out.SerializeAsString()](const Journal::Committed&) { return absl::StatusOr<std::string>(bytes); };
        return entry;
      },
      [this, terminal, reply = std::move(reply)](absl::StatusOr<std::string> answer) {
        if (answer.ok() && *terminal) MakeKnown(**terminal);
        reply(std::move(answer));
      });
}

void Seals::OnAuthCodeIssued(const seal::KnownTerminal& terminal, seal::StoredCallback stored) {
  // The code is durable before the terminal hears it, so it survives a restart.
  journal_->Execute(Journal::Call{}, [this, terminal]() -> absl::StatusOr<Journal::Entry> {
    Journal::Entry entry;
    const std::string known_by = known_by_.count(terminal.device_id) ? known_by_[terminal.device_id] : "";
    entry.change.writes.blobs.push_back(TerminalBlob(terminal, known_by));
    terminals_[terminal.device_id] = terminal;
    return entry;
  }, [stored](absl::StatusOr<std::string> answer) { stored(answer.status()); });
}

void Seals::OnSecurityAlarm(const seal::SecurityAlarm& alarm) {
  journal_->Execute(Journal::Call{}, [alarm]() -> absl::StatusOr<Journal::Entry> {
    Journal::Entry entry;
    gate::Event e;
    e.occurred_at = alarm.time;
    e.payload = gate::SecurityAlarmRaised{seal::SecurityAlarmKindName(alarm.kind), alarm.device_id, alarm.peer,
                                          alarm.detail};
    entry.change.events.push_back(std::move(e));
    return entry;
  }, [](absl::StatusOr<std::string>) {});
}

void Seals::SendUnlock(const gate::UnlockSeal& unlock, std::function<void(absl::Status)> done) {
  if (gateway_ == nullptr) return done(absl::UnavailableError("no JT/T 808 gateway"));
  gateway_->SendUnlock(unlock.device_id, absl::Milliseconds(config_.unlock_ttl_ms),
                       [done](seal::UnlockOutcome outcome, const std::string& detail) {
                         done(UnlockStatus(outcome, detail));
                       });
}

Journal::Compute Seals::RecordUnlockResult(const gate::UnlockSeal& unlock, const absl::Status& result) {
  return [this, unlock, result]() -> absl::StatusOr<Journal::Entry> {
    Journal::Entry entry;
    const seal::SealChange change = book_.OnUnlockResult(unlock.seal_id, UnlockOutcomeOf(result),
                                                         std::string(result.message()), clock_->Now());
    entry.change = ToGateChange(change, "", unlock.visit_id);
    return entry;
  };
}

gate::Change Seals::OnGateArrival(const std::string& lane_id, const std::string& visit_id,
                                  const std::vector<std::string>& plates, const std::vector<std::string>& containers) {
  gate::Change all;
  for (const std::string& plate : plates.empty() ? std::vector<std::string>{""} : plates) {
    seal::GateArrival arrival{absl::StrCat("gate:", lane_id), plate, containers, clock_->Now()};
    all.Append(ToGateChange(book_.OnGateArrival(arrival), lane_id, visit_id));
  }
  return all;
}

std::vector<gate::SealView> Seals::SealsFor(const std::vector<std::string>& plates,
                                            const std::vector<std::string>& containers,
                                            const std::vector<std::string>& seal_ids) {
  // On every decision, under the journal's lock: copy only the seals that concern this truck.
  const std::vector<seal::SealRecord> found = book_.Select([&](const seal::SealRecord& r) {
    const bool named = std::find(seal_ids.begin(), seal_ids.end(), r.seal_id) != seal_ids.end();
    const bool on_box = std::any_of(r.container_numbers.begin(), r.container_numbers.end(), [&](const std::string& c) {
      return std::find(containers.begin(), containers.end(), c) != containers.end();
    });
    const bool on_truck = !r.plate.empty() && std::find(plates.begin(), plates.end(), r.plate) != plates.end() &&
                          seal::IsArmed(r.state);
    return named || on_box || on_truck;
  });
  std::vector<gate::SealView> out;
  for (const seal::SealRecord& r : found) {
    out.push_back({r.seal_id, ConditionOf(r.state), r.open_alarms, r.plate, r.container_numbers});
  }
  return out;
}

gate::Change Seals::OnGateOpen(const std::string& visit_id, const std::vector<std::string>& seal_ids) {
  gate::Change all;
  const absl::Time now = clock_->Now();
  for (const std::string& id : seal_ids) {
    std::optional<seal::SealRecord> r = book_.Get(id);
    if (!r) continue;
    if (r->state == seal::SealState::kArrived) {
      all.Append(ToGateChange(book_.Verify(id, "gate", now, absl::StrCat("visit ", visit_id)), "", visit_id));
    }
    const seal::UnlockDecision unlock = book_.AuthorizeUnlock({id, "gate", false, absl::StrCat("visit ", visit_id), now});
    all.Append(ToGateChange(unlock.change, "", visit_id));
    if (unlock.change.status.ok() && unlock.needs_device) {
      all.effects.push_back(gate::UnlockSeal{id, unlock.device_id, visit_id});
    }
  }
  return all;
}

void Seals::OnReport(const seal::DeviceReport& report) {
  journal_->Execute(Journal::Call{}, [this, report]() -> absl::StatusOr<Journal::Entry> {
    const seal::DeviceReportOutcome outcome = book_.OnDeviceReport(report);
    Journal::Entry entry;
    entry.change = ToGateChange(outcome.change);
    bool raise = false;
    if (!outcome.bound) {
      // Kept always; raised on the first report and then every ten minutes per device.
      std::lock_guard<std::mutex> lock(mu_);
      absl::Time& last = unbound_raised_[report.device_id];
      raise = report.received - last >= absl::Minutes(10);
      if (raise) last = report.received;
    }
    gate::DeviceReported reported{report.device_id, outcome.seal_id, report.latitude, report.longitude, {},
                                  seal::LockStateName(report.lock_state)};
    reported.alarms.insert(reported.alarms.end(), report.alarms.begin(), report.alarms.end());
    reported.alarms.insert(reported.alarms.end(), report.seal_alarms.begin(), report.seal_alarms.end());
    gate::Event event;
    event.occurred_at = report.time;
    event.payload = reported;
    const std::string body = EventToWire(event).device_report().SerializeAsString();
    if (raise) entry.change.events.push_back(std::move(event));
    if (report.position_valid) {
      entry.change.writes.positions.push_back(
          {report.device_id, outcome.seal_id, report.time, report.latitude, report.longitude, body});
    }
    return entry;
  }, [ack = report.acknowledge](absl::StatusOr<std::string> stored) {
    // Not stored: no acknowledgement, so the lock sends the report again.
    if (stored.ok() && ack) ack();
  });
}

}  // namespace yardgate::server
