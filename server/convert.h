// The one conversion layer between yardgate.v1 (the wire and the stored bodies) and the gate's
// domain types. Every enum maps value by value and convert.cc checks each pair with a
// static_assert; a value from the wire that this build does not know is refused with
// InvalidArgument naming the field, never cast into the domain (the gate fails closed on what it
// does not know).
//
// Plain functions, safe from any thread.
#ifndef YARDGATE_SERVER_CONVERT_H_
#define YARDGATE_SERVER_CONVERT_H_

#include <string>
#include "absl/strings/string_view.h"

#include <google/protobuf/timestamp.pb.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gate/model.h"
#include "gate/store.h"
#include "yardgate/v1/gate_service.pb.h"
#include "yardgate/v1/terminal_service.pb.h"

namespace yardgate::server {

// --- From the wire: checked -------------------------------------------------------------
absl::StatusOr<gate::Direction> DirectionFromWire(int value, absl::string_view field);
absl::StatusOr<gate::TransactionType> TransactionTypeFromWire(int value, absl::string_view field);
absl::StatusOr<gate::CustomsStatus> CustomsStatusFromWire(int value, absl::string_view field);
absl::Status CheckCameraPosition(int value, absl::string_view field);
// An unset timestamp is InfinitePast; one outside 0001-01-01 .. 9999-12-31 or with nanos outside
// [0, 1e9) is refused.
absl::StatusOr<absl::Time> TimeFromWire(const google::protobuf::Timestamp& t, absl::string_view field);
// The booking a terminal system sends (its output-only fields are ignored).
absl::StatusOr<gate::Appointment> AppointmentFromWire(const v1::Appointment& a);

// --- To the wire -------------------------------------------------------------------------
google::protobuf::Timestamp TimeToWire(absl::Time t);  // InfinitePast/Future: unset
v1::FieldRead FieldReadToWire(const gate::FieldRead& r);
v1::Visit VisitToWire(const gate::Visit& v);
v1::Appointment AppointmentToWire(const gate::Appointment& a);
v1::Event EventToWire(const gate::Event& e);
v1::AuditRecord AuditToWire(const gate::AuditRecord& a);

// --- Stored bodies (written by this build, read back whole) ------------------------------
gate::Visit VisitFromStored(const v1::Visit& v);
gate::Appointment AppointmentFromStored(const v1::Appointment& a);
gate::Event EventFromStored(const v1::Event& e);
gate::FieldRead FieldReadFromWire(const v1::FieldRead& r);

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_CONVERT_H_
