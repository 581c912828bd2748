// Requests that do not parse get INVALID_ARGUMENT with a message, not gRPC's bare UNIMPLEMENTED.
//
// gRPC 1.51's callback servers answer a request whose bytes do not parse (malformed protobuf, or
// a proto3 string field holding invalid UTF-8) with UNIMPLEMENTED and an empty message, before
// any handler runs, so a client cannot tell a bad request from a missing method. These
// serialization traits parse yardgate.v1 requests themselves: a request that does not parse
// reaches its handler empty and marked (RequestParseError), and the handler answers
// INVALID_ARGUMENT saying so. proto/CMakeLists.txt compiles the traits of every request type of
// a service into that service's generated code (the only code that instantiates them).
#ifndef YARDGATE_PROTO_REQUEST_PARSING_H_
#define YARDGATE_PROTO_REQUEST_PARSING_H_

#include <optional>
#include <string>

#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>

namespace yardgate::v1 {

// The unknown field that marks a request which did not parse (the largest field number, never
// used by the contract).
inline constexpr int kRequestParseErrorField = 536870911;

// Why the request did not parse, if it did not.
inline std::optional<std::string> RequestParseError(const google::protobuf::Message& request) {
  const google::protobuf::UnknownFieldSet& unknown = request.GetReflection()->GetUnknownFields(request);
  for (int i = 0; i < unknown.field_count(); ++i) {
    if (unknown.field(i).number() == kRequestParseErrorField &&
        unknown.field(i).type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      return unknown.field(i).length_delimited();
    }
  }
  return std::nullopt;
}

template <class Request>
grpc::Status DeserializeRequest(grpc::ByteBuffer* buffer, Request* request) {
  const grpc::Status parsed = grpc::GenericDeserialize<grpc::ProtoBufferReader, Request>(buffer, request);
  if (parsed.ok() || buffer == nullptr) return parsed;
  request->Clear();
  request->GetReflection()->MutableUnknownFields(request)->AddLengthDelimited(
      kRequestParseErrorField, "the request is not a valid " + Request::descriptor()->full_name() +
                                   " (malformed protobuf, or a string field that is not valid UTF-8)");
  return grpc::Status::OK;
}

}  // namespace yardgate::v1

#define YARDGATE_REQUEST_PARSING(Type)                                                        \
  template <>                                                                                 \
  class grpc::SerializationTraits<yardgate::v1::Type, void> {                                  \
   public:                                                                                    \
    static grpc::Status Serialize(const grpc::protobuf::MessageLite& msg, grpc::ByteBuffer* bb, \
                                  bool* own_buffer) {                                          \
      return grpc::GenericSerialize<grpc::ProtoBufferWriter, yardgate::v1::Type>(msg, bb, own_buffer); \
    }                                                                                         \
    static grpc::Status Deserialize(grpc::ByteBuffer* buffer, yardgate::v1::Type* msg) {       \
      return yardgate::v1::DeserializeRequest(buffer, msg);                                    \
    }                                                                                         \
  };

#endif  // YARDGATE_PROTO_REQUEST_PARSING_H_
