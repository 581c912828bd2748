// TerminalService: terminal systems (appointments, customs status, the event stream) and the
// gate clerks' trouble desk.
#include "absl/strings/str_cat.h"
#include "server/calls.h"
#include "server/convert.h"
#include "server/event_stream.h"
#include "server/request_checks.h"
#include "server/services.h"

namespace yardgate::server {
namespace {

constexpr int kMaxPageSize = 1000;
constexpr int kDefaultPageSize = 100;

absl::StatusOr<int> PageSize(int requested) {
  if (requested < 0) return absl::InvalidArgumentError("page_size must not be negative");
  return requested == 0 ? kDefaultPageSize : std::min(requested, kMaxPageSize);
}

// An entry answering with an appointment.
Journal::Entry AppointmentEntry(gate::Outcome<gate::Appointment> out) {
  Journal::Entry entry;
  entry.change = std::move(out.change);
  entry.respond = [bytes = AppointmentToWire(out.result).SerializeAsString()](const Journal::Committed&) {
    return absl::StatusOr<std::string>(bytes);
  };
  return entry;
}

}  // namespace

grpc::ServerUnaryReactor* TerminalServiceImpl::UpsertAppointment(grpc::CallbackServerContext* ctx,
                                                                 const v1::UpsertAppointmentRequest* request,
                                                                 v1::Appointment* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    reply(caller.status());
    return reactor;
  }
  const v1::Appointment& a = request->appointment();
  absl::Status valid = CheckIdempotencyKey(request->idempotency_key());
  if (valid.ok()) valid = CheckId("appointment.appointment_id", a.appointment_id());
  if (valid.ok()) valid = CheckId("appointment.plate", a.plate());
  if (valid.ok()) valid = CheckId("appointment.second_plate", a.second_plate(), false);
  if (valid.ok()) valid = CheckId("appointment.company", a.company(), false);
  absl::StatusOr<gate::Appointment> booking = valid.ok() ? AppointmentFromWire(a) : absl::StatusOr<gate::Appointment>(valid);
  if (!booking.ok()) {
    reply(booking.status());
    return reactor;
  }
  gate::GateCore* core = c_.core;
  c_.journal->Execute(CallFor("UpsertAppointment", *request),
                      [core, booking = *std::move(booking)]() -> absl::StatusOr<Journal::Entry> {
                        absl::StatusOr<gate::Outcome<gate::Appointment>> out = core->UpsertAppointment(booking);
                        if (!out.ok()) return out.status();
                        return AppointmentEntry(*std::move(out));
                      },
                      std::move(reply));
  return reactor;
}

grpc::ServerUnaryReactor* TerminalServiceImpl::CancelAppointment(grpc::CallbackServerContext* ctx,
                                                                 const v1::CancelAppointmentRequest* request,
                                                                 v1::Appointment* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    reply(caller.status());
    return reactor;
  }
  absl::Status valid = CheckIdempotencyKey(request->idempotency_key());
  if (valid.ok()) valid = CheckId("appointment_id", request->appointment_id());
  if (!valid.ok()) {
    reply(valid);
    return reactor;
  }
  gate::GateCore* core = c_.core;
  c_.journal->Execute(CallFor("CancelAppointment", *request),
                      [core, id = request->appointment_id()]() -> absl::StatusOr<Journal::Entry> {
                        absl::StatusOr<gate::Outcome<gate::Appointment>> out = core->CancelAppointment(id);
                        if (!out.ok()) return out.status();
                        return AppointmentEntry(*std::move(out));
                      },
                      std::move(reply));
  return reactor;
}

grpc::ServerUnaryReactor* TerminalServiceImpl::SetCustomsStatus(grpc::CallbackServerContext* ctx,
                                                                const v1::SetCustomsStatusRequest* request,
                                                                v1::SetCustomsStatusResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    reply(caller.status());
    return reactor;
  }
  absl::Status valid = CheckIdempotencyKey(request->idempotency_key());
  if (valid.ok()) valid = CheckId("container_number", request->container_number());
  // A status this server does not know is refused here, never cast into the gate (issue 14: an
  // unknown value replaced a hold and opened the gate).
  absl::StatusOr<gate::CustomsStatus> status =
      valid.ok() ? CustomsStatusFromWire(request->status(), "status") : absl::StatusOr<gate::CustomsStatus>(valid);
  if (!status.ok()) {
    reply(status.status());
    return reactor;
  }
  gate::GateCore* core = c_.core;
  c_.journal->Execute(CallFor("SetCustomsStatus", *request),
                      [core, number = request->container_number(), status = *status]() -> absl::StatusOr<Journal::Entry> {
                        absl::StatusOr<gate::Outcome<gate::CustomsRecord>> out = core->SetCustomsStatus(number, status);
                        if (!out.ok()) return out.status();
                        Journal::Entry entry;
                        entry.change = std::move(out->change);
                        entry.respond = [](const Journal::Committed& c) -> absl::StatusOr<std::string> {
                          v1::SetCustomsStatusResponse r;
                          r.set_event_sequence(c.sequences.empty() ? 0 : c.sequences.front());
                          return r.SerializeAsString();
                        };
                        return entry;
                      },
                      std::move(reply));
  return reactor;
}

grpc::ServerUnaryReactor* TerminalServiceImpl::ListVisits(grpc::CallbackServerContext* ctx,
                                                          const v1::ListVisitsRequest* request,
                                                          v1::ListVisitsResponse* response) {
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    return FinishNow<v1::ListVisitsResponse>(ctx, caller.status(), response);
  }
  absl::StatusOr<int> page = PageSize(request->page_size());
  absl::Status valid = page.status();
  if (valid.ok()) valid = CheckId("lane_id", request->lane_id(), false);
  if (valid.ok()) valid = CheckId("page_token", request->page_token(), false);
  if (!valid.ok()) return FinishNow<v1::ListVisitsResponse>(ctx, valid, response);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  c_.io->Run([this, reactor, request, response, limit = *page] {
    // One more than the page tells whether there is a next page.
    absl::StatusOr<std::vector<gate::Visit>> visits =
        c_.store->ListVisits({request->lane_id(), request->page_token(), limit + 1});
    if (visits.ok()) {
      for (size_t i = 0; i < visits->size() && static_cast<int>(i) < limit; ++i) {
        *response->add_visits() = VisitToWire((*visits)[i]);
      }
      if (static_cast<int>(visits->size()) > limit) response->set_next_page_token(response->visits(limit - 1).visit_id());
    }
    reactor->Finish(ToGrpc(visits.status()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* TerminalServiceImpl::GetVisit(grpc::CallbackServerContext* ctx,
                                                        const v1::GetVisitRequest* request, v1::Visit* response) {
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    return FinishNow<v1::Visit>(ctx, caller.status(), response);
  }
  if (absl::Status s = CheckId("visit_id", request->visit_id()); !s.ok()) {
    return FinishNow<v1::Visit>(ctx, s, response);
  }
  const std::optional<gate::Visit> in_memory =
      c_.journal->Read<std::optional<gate::Visit>>([&] { return c_.core->FindVisit(request->visit_id()); });
  if (in_memory) return FinishNow<v1::Visit>(ctx, VisitToWire(*in_memory), response);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  c_.io->Run([this, reactor, request, response] {
    absl::StatusOr<std::optional<gate::Visit>> stored = c_.store->GetVisit(request->visit_id());
    absl::Status status = stored.status();
    if (stored.ok() && !stored->has_value()) {
      status = absl::NotFoundError(absl::StrCat("no visit ", Quote(request->visit_id())));
    } else if (stored.ok()) {
      *response = VisitToWire(**stored);
    }
    reactor->Finish(ToGrpc(status));
  });
  return reactor;
}

grpc::ServerWriteReactor<v1::Event>* TerminalServiceImpl::Subscribe(grpc::CallbackServerContext* ctx,
                                                                    const v1::SubscribeRequest* request) {
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    return RefusedStream(ToGrpc(caller.status()));
  }
  return StartEventStream(&c_.journal->events(), c_.io, request->after_sequence(), nullptr);
}

grpc::ServerUnaryReactor* TerminalServiceImpl::ListTroubleVisits(grpc::CallbackServerContext* ctx,
                                                                 const v1::ListTroubleVisitsRequest* request,
                                                                 v1::ListTroubleVisitsResponse* response) {
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    return FinishNow<v1::ListTroubleVisitsResponse>(ctx, caller.status(), response);
  }
  if (absl::Status s = CheckId("lane_id", request->lane_id(), false); !s.ok()) {
    return FinishNow<v1::ListTroubleVisitsResponse>(ctx, s, response);
  }
  c_.journal->Read<int>([&] {
    for (const gate::Visit& v : c_.core->DeskVisits(request->lane_id())) {
      v1::TroubleCase* c = response->add_cases();
      *c->mutable_visit() = VisitToWire(v);
      if (std::optional<gate::Appointment> a = c_.core->FindAppointment(v.appointment_id)) {
        *c->mutable_expected() = AppointmentToWire(*a);
      }
    }
    return 0;
  });
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!request->include_frames() || response->cases().empty()) {
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  // Frames come from the store: read them on a worker.
  c_.io->Run([this, reactor, response] {
    for (v1::TroubleCase& c : *response->mutable_cases()) {
      absl::StatusOr<std::vector<gate::EvidenceFrame>> frames = c_.store->GetFrames(c.visit().visit_id());
      if (!frames.ok()) return reactor->Finish(ToGrpc(frames.status()));
      for (const gate::EvidenceFrame& f : *frames) {
        v1::EvidenceFrame* out = c.add_frames();
        out->set_camera(f.camera);
        out->set_image(f.image);
      }
    }
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* TerminalServiceImpl::ResolveTrouble(grpc::CallbackServerContext* ctx,
                                                              const v1::ResolveTroubleRequest* request,
                                                              v1::Visit* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Journal::Reply reply = FinishWith(reactor, response);
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    reply(caller.status());
    return reactor;
  }
  absl::Status valid = CheckIdempotencyKey(request->idempotency_key());
  if (valid.ok()) valid = CheckId("visit_id", request->visit_id());
  if (valid.ok()) valid = CheckId("clerk_id", request->clerk_id());
  if (valid.ok()) valid = CheckText("comment", request->comment());
  if (valid.ok()) valid = CheckId("corrected_plate", request->corrected_plate(), false);
  if (valid.ok() && !v1::ClerkAction_IsValid(request->action())) {
    valid = absl::InvalidArgumentError(absl::StrCat("action = ", request->action(), " is not a value this server knows"));
  }
  if (!valid.ok()) {
    reply(valid);
    return reactor;
  }
  gate::ClerkResolution r;
  r.visit_id = request->visit_id();
  r.clerk_id = request->clerk_id();
  r.action = static_cast<gate::ClerkAction>(request->action());
  r.comment = request->comment();
  r.corrected_plate = request->corrected_plate();
  r.corrected_containers.assign(request->corrected_container_numbers().begin(),
                                request->corrected_container_numbers().end());
  gate::GateCore* core = c_.core;
  c_.journal->Execute(CallFor("ResolveTrouble", *request), [core, r]() -> absl::StatusOr<Journal::Entry> {
    absl::StatusOr<gate::Outcome<gate::Visit>> out = core->ResolveTrouble(r);
    if (!out.ok()) return out.status();
    Journal::Entry entry;
    entry.change = std::move(out->change);
    entry.subject = r.visit_id;
    entry.respond = [core, id = r.visit_id](const Journal::Committed&) -> absl::StatusOr<std::string> {
      const std::optional<gate::Visit> visit = core->FindVisit(id);
      if (!visit) return absl::NotFoundError(absl::StrCat("visit ", id, " left memory"));
      return VisitToWire(*visit).SerializeAsString();
    };
    return entry;
  }, std::move(reply));
  return reactor;
}

grpc::ServerUnaryReactor* TerminalServiceImpl::GetAppointment(grpc::CallbackServerContext* ctx,
                                                              const v1::GetAppointmentRequest* request,
                                                              v1::Appointment* response) {
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    return FinishNow<v1::Appointment>(ctx, caller.status(), response);
  }
  if (absl::Status s = CheckId("appointment_id", request->appointment_id()); !s.ok()) {
    return FinishNow<v1::Appointment>(ctx, s, response);
  }
  const std::optional<gate::Appointment> a = c_.journal->Read<std::optional<gate::Appointment>>(
      [&] { return c_.core->FindAppointment(request->appointment_id()); });
  if (!a) {
    return FinishNow<v1::Appointment>(
        ctx, absl::NotFoundError(absl::StrCat("no appointment ", Quote(request->appointment_id()))), response);
  }
  return FinishNow<v1::Appointment>(ctx, AppointmentToWire(*a), response);
}

grpc::ServerUnaryReactor* TerminalServiceImpl::ListAppointments(grpc::CallbackServerContext* ctx,
                                                                const v1::ListAppointmentsRequest* request,
                                                                v1::ListAppointmentsResponse* response) {
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    return FinishNow<v1::ListAppointmentsResponse>(ctx, caller.status(), response);
  }
  absl::StatusOr<int> page = PageSize(request->page_size());
  absl::Status valid = page.status();
  if (valid.ok()) valid = CheckId("plate", request->plate(), false);
  if (valid.ok()) valid = CheckId("page_token", request->page_token(), false);
  if (!valid.ok()) return FinishNow<v1::ListAppointmentsResponse>(ctx, valid, response);
  gate::AppointmentFilter filter;
  filter.plate = request->plate();
  filter.open_only = request->open_only();
  filter.after_id = request->page_token();
  filter.limit = *page + 1;
  const std::vector<gate::Appointment> found =
      c_.journal->Read<std::vector<gate::Appointment>>([&] { return c_.core->ListAppointments(filter); });
  for (size_t i = 0; i < found.size() && static_cast<int>(i) < *page; ++i) {
    *response->add_appointments() = AppointmentToWire(found[i]);
  }
  if (static_cast<int>(found.size()) > *page) response->set_next_page_token(found[*page - 1].id);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* TerminalServiceImpl::ListAudit(grpc::CallbackServerContext* ctx,
                                                         const v1::ListAuditRequest* request,
                                                         v1::ListAuditResponse* response) {
  if (absl::StatusOr<auth::Principal> caller = Admit(c_, *ctx, *request); !caller.ok()) {
    return FinishNow<v1::ListAuditResponse>(ctx, caller.status(), response);
  }
  absl::StatusOr<int> page = PageSize(request->page_size());
  absl::Status valid = page.status();
  if (valid.ok()) valid = CheckId("subject", request->subject(), false);
  if (valid.ok()) valid = CheckId("actor", request->actor(), false);
  int64_t after = 0;
  if (valid.ok() && !request->page_token().empty() && !absl::SimpleAtoi(request->page_token(), &after)) {
    valid = absl::InvalidArgumentError(absl::StrCat("page_token ", Quote(request->page_token()), " is not one this server gave"));
  }
  if (!valid.ok()) return FinishNow<v1::ListAuditResponse>(ctx, valid, response);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  c_.io->Run([this, reactor, request, response, after, limit = *page] {
    absl::StatusOr<std::vector<gate::AuditRecord>> records =
        c_.store->ListAudit({request->subject(), request->actor(), after, limit + 1});
    if (records.ok()) {
      for (size_t i = 0; i < records->size() && static_cast<int>(i) < limit; ++i) {
        *response->add_records() = AuditToWire((*records)[i]);
      }
      if (static_cast<int>(records->size()) > limit) {
        response->set_next_page_token(absl::StrCat(response->records(limit - 1).id()));
      }
    }
    reactor->Finish(ToGrpc(records.status()));
  });
  return reactor;
}

}  // namespace yardgate::server
