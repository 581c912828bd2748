#!/usr/bin/env python3
# Writes the request fuzzer's seed corpus (server/fuzz/corpus/request_fuzzer/): one valid request per
# method, in the fuzzer's input form, encoded by protoc from text format. Run from the repository root.
import hashlib
import os
import subprocess

seeds = [
 ("UpsertAppointment", "UpsertAppointmentRequest", 'idempotency_key: "k1" appointment { appointment_id: "A1" plate: "粤B12345" direction: DIRECTION_IN containers { container_number: "CSQU3054383" transaction_type: TRANSACTION_TYPE_RECEIVE_EXPORT } }', 0x00),
 ("SetCustomsStatus", "SetCustomsStatusRequest", 'idempotency_key: "k2" container_number: "CSQU3054383" status: CUSTOMS_STATUS_RELEASED', 0x00),
 ("SetCustomsStatus", "SetCustomsStatusRequest", 'idempotency_key: "k2h" container_number: "CSQU3054383" status: CUSTOMS_STATUS_HELD', 0x00),
 ("SubmitArrival", "SubmitArrivalRequest", 'idempotency_key: "k3" lane_id: "L1" read { plate: "粤B12345" container_numbers: "CSQU3054383" confidence: 1 }', 0x20),
 ("ReportPassage", "ReportPassageRequest", 'idempotency_key: "k4" visit_id: "V0000000001"', 0x00),
 ("RequestAssistance", "RequestAssistanceRequest", 'idempotency_key: "k5" lane_id: "L1" visit_id: "V0000000001" message: "help"', 0x20),
 ("WatchLane", "WatchLaneRequest", 'lane_id: "L1"', 0x20),
 ("ResetLaneFault", "ResetLaneFaultRequest", 'idempotency_key: "k6" lane_id: "L1" operator_id: "clerk-7" comment: "ok"', 0x10),
 ("CloseBarrier", "CloseBarrierRequest", 'idempotency_key: "k7" lane_id: "L1" operator_id: "clerk-7"', 0x10),
 ("CancelAllow", "CancelAllowRequest", 'idempotency_key: "k8" visit_id: "V0000000001" operator_id: "clerk-7"', 0x10),
 ("ApplySeal", "ApplySealRequest", 'idempotency_key: "k9" seal_id: "S1" kind: SEAL_KIND_GPS_ELOCK container_numbers: "CSQU3054383" plate: "粤B12345" device_id: "013800000001" officer_id: "officer-1" place: "yard" applied_at { seconds: 1790000000 } latitude: 22.5 longitude: 114.2', 0x10),
 ("ReportSealEvent", "ReportSealEventRequest", 'idempotency_key: "k10" seal_id: "S1" kind: SEAL_EVENT_KIND_TAMPERED officer_id: "officer-1" detail: "x" time { seconds: 1790000000 }', 0x10),
 ("GetSeal", "GetSealRequest", 'seal_id: "S1"', 0x00),
 ("RequestUnlock", "RequestUnlockRequest", 'idempotency_key: "k11" seal_id: "S1" officer_id: "officer-1" reason: "inspection"', 0x10),
 ("RegisterTerminal", "RegisterTerminalRequest", 'idempotency_key: "k12" device_id: "013800000001" lock_family: "test-locks" operator_id: "admin-1"', 0x10),
 ("CancelAppointment", "CancelAppointmentRequest", 'idempotency_key: "k13" appointment_id: "A1"', 0x00),
 ("ListVisits", "ListVisitsRequest", 'lane_id: "L1" page_size: 10', 0x00),
 ("GetVisit", "GetVisitRequest", 'visit_id: "V0000000001"', 0x00),
 ("Subscribe", "SubscribeRequest", 'after_sequence: 0', 0x00),
 ("ListTroubleVisits", "ListTroubleVisitsRequest", '', 0x00),
 ("ResolveTrouble", "ResolveTroubleRequest", 'idempotency_key: "k14" visit_id: "V0000000001" clerk_id: "clerk-7" action: CLERK_ACTION_APPROVE comment: "seen" corrected_plate: "粤B12345"', 0x10),
 ("GetAppointment", "GetAppointmentRequest", 'appointment_id: "A1"', 0x00),
 ("ListAppointments", "ListAppointmentsRequest", '', 0x00),
 ("ListAudit", "ListAuditRequest", '', 0x00),
]
out = "server/fuzz/corpus/request_fuzzer"
for name, msg, text, flags in seeds:
    p = subprocess.run(["protoc", "-Iproto", "-I/usr/include", "--encode=yardgate.v1." + msg] + [os.path.join(d, f) for d in ["proto/yardgate/v1"] for f in os.listdir(d) if f.endswith(".proto")], input=text.encode(), capture_output=True)
    if p.returncode != 0:
        print(name, p.stderr.decode()); continue
    data = name.encode() + b"\n" + bytes([flags]) + p.stdout
    open(os.path.join(out, name + "-" + hashlib.sha1(data).hexdigest()[:8]), "wb").write(data)
print("wrote", len(seeds), "seeds to", out)
