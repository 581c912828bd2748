#include "server/ctl/common.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <sstream>

#include <google/protobuf/util/json_util.h>

namespace yardgate::ctl {

bool IsFlag(const std::string& name) {
  return name == "--approve" || name == "--reject" || name == "--open-only";
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

int Fail(const grpc::Status& s) {
  std::fprintf(stderr, "yardgatectl: %s: %s\n", s.error_code() == grpc::StatusCode::UNAVAILABLE ? "UNAVAILABLE" : "error",
               s.error_message().c_str());
  return 1;
}

int Print(const grpc::Status& s, const google::protobuf::Message& m) {
  if (!s.ok()) return Fail(s);
  std::printf("%s\n", ToJson(m).c_str());
  return 0;
}

v1::TransactionType ParseType(const std::string& t, v1::Direction d) {
  static const std::map<std::string, v1::TransactionType> types = {
      {"RE", v1::TRANSACTION_TYPE_RECEIVE_EXPORT}, {"RI", v1::TRANSACTION_TYPE_RECEIVE_IMPORT},
      {"RM", v1::TRANSACTION_TYPE_RECEIVE_EMPTY},  {"DI", v1::TRANSACTION_TYPE_DELIVER_IMPORT},
      {"DE", v1::TRANSACTION_TYPE_DELIVER_EXPORT}, {"DM", v1::TRANSACTION_TYPE_DELIVER_EMPTY}};
  auto it = types.find(t);
  if (it != types.end()) return it->second;
  return d == v1::DIRECTION_OUT ? v1::TRANSACTION_TYPE_DELIVER_IMPORT : v1::TRANSACTION_TYPE_RECEIVE_EXPORT;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) parts.push_back(part);
  if (parts.empty()) parts.push_back("");
  return parts;
}

v1::CameraPosition ParsePosition(const std::string& p) {
  if (p == "front") return v1::CAMERA_POSITION_FRONT;
  if (p == "rear") return v1::CAMERA_POSITION_REAR;
  if (p == "left") return v1::CAMERA_POSITION_LEFT;
  if (p == "right") return v1::CAMERA_POSITION_RIGHT;
  if (p == "top") return v1::CAMERA_POSITION_TOP;
  return v1::CAMERA_POSITION_UNSPECIFIED;
}

std::string KeyOf(const Args& a) {
  if (!a.Get("--key").empty()) return a.Get("--key");
  static int counter = 0;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return "ctl-" + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count()) + "-" +
         std::to_string(::getpid()) + "-" + std::to_string(++counter);
}


}  // namespace yardgate::ctl
