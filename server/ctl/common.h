// What every yardgatectl command shares: its arguments, how it prints, the idempotency key.
#ifndef YARDGATE_SERVER_CTL_COMMON_H_
#define YARDGATE_SERVER_CTL_COMMON_H_

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include "yardgate/v1/common.pb.h"

namespace yardgate::ctl {

struct Args {
  std::string command;
  std::multimap<std::string, std::string> options;
  std::vector<std::string> flags;

  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }
  std::vector<std::string> All(const std::string& name) const {
    std::vector<std::string> out;
    for (auto [it, end] = options.equal_range(name); it != end; ++it) out.push_back(it->second);
    return out;
  }
  bool Has(const std::string& flag) const { return std::find(flags.begin(), flags.end(), flag) != flags.end(); }
};

// Options that take no value.
bool IsFlag(const std::string& name);

std::string ToJson(const google::protobuf::Message& m);
// The server's error on stderr; returns the exit code 1.
int Fail(const grpc::Status& s);
// The answer as one JSON line, or the error.
int Print(const grpc::Status& s, const google::protobuf::Message& m);

v1::TransactionType ParseType(const std::string& t, v1::Direction d);
v1::CameraPosition ParsePosition(const std::string& p);
std::vector<std::string> Split(const std::string& s, char sep);

// --key, or a fresh key: every mutating call names one, and a CLI call is new unless the
// operator retries it with the key it printed or chose.
std::string KeyOf(const Args& a);

}  // namespace yardgate::ctl

#endif  // YARDGATE_SERVER_CTL_COMMON_H_
