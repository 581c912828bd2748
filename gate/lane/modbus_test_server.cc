#include "gate/lane/modbus_test_server.h"

#include <arpa/inet.h>
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace yardgate::gate::lane {

absl::StatusOr<std::unique_ptr<ModbusTestServer>> ModbusTestServer::Start(int port) {
  modbus_mapping_t* mapping = modbus_mapping_new(kTableSize, kTableSize, kTableSize, kTableSize);
  if (mapping == nullptr) {
    return absl::InternalError(absl::StrCat("modbus_mapping_new: ", modbus_strerror(errno)));
  }
  modbus_t* ctx = modbus_new_tcp("127.0.0.1", port == 0 ? MODBUS_TCP_DEFAULT_PORT : port);
  if (ctx == nullptr) {
    modbus_mapping_free(mapping);
    return absl::InternalError(absl::StrCat("modbus_new_tcp: ", modbus_strerror(errno)));
  }
  std::unique_ptr<ModbusTestServer> server(new ModbusTestServer(port, ctx, mapping));
  if (absl::Status s = server->Listen(); !s.ok()) return s;
  return server;
}

ModbusTestServer::ModbusTestServer(int port, modbus_t* ctx, modbus_mapping_t* mapping)
    : port_(port), ctx_(ctx), mapping_(mapping), rising_edges_(kTableSize, 0) {}

ModbusTestServer::~ModbusTestServer() {
  Stop();
  modbus_free(ctx_);
  absl::MutexLock lock(&mu_);
  modbus_mapping_free(mapping_);
}

absl::Status ModbusTestServer::Listen() {
  // Our own socket rather than modbus_tcp_listen(): it can bind port 0 and report the
  // port it got, with no window for another process to take it.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0 || listen(fd, 64) < 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("listen on 127.0.0.1:", port_, ": ", std::strerror(err)));
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  listen_fd_ = fd;
  stop_ = false;
  thread_ = std::thread([this] { Serve(); });
  return absl::OkStatus();
}

void ModbusTestServer::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::Status ModbusTestServer::Restart() {
  Stop();
  return Listen();
}

void ModbusTestServer::SetAnswering(bool answering) {
  absl::MutexLock serving(&serve_mu_);
  answering_ = answering;
}

void ModbusTestServer::Serve() {
  std::vector<int> clients;
  uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
  std::vector<uint8_t> coils_before(kTableSize);
  while (!stop_) {
    fd_set fds;
    FD_ZERO(&fds);
    int max_fd = -1;
    if (answering_) {
      FD_SET(listen_fd_, &fds);
      max_fd = listen_fd_;
      for (int c : clients) {
        FD_SET(c, &fds);
        max_fd = std::max(max_fd, c);
      }
    }
    timeval tv{0, 10'000};
    const int ready = select(max_fd + 1, &fds, nullptr, nullptr, &tv);
    if (ready <= 0) continue;
    // Once SetAnswering(false) has returned, nothing more is read or answered.
    absl::MutexLock serving(&serve_mu_);
    if (!answering_) continue;
    if (FD_ISSET(listen_fd_, &fds)) {
      const int c = accept(listen_fd_, nullptr, nullptr);
      if (c >= 0) clients.push_back(c);
    }
    for (auto it = clients.begin(); it != clients.end();) {
      if (!FD_ISSET(*it, &fds)) {
        ++it;
        continue;
      }
      modbus_set_socket(ctx_, *it);
      const int rc = modbus_receive(ctx_, query);
      if (rc < 0) {
        close(*it);
        it = clients.erase(it);
        continue;
      }
      if (rc > 0) {
        absl::MutexLock lock(&mu_);
        std::copy(mapping_->tab_bits, mapping_->tab_bits + kTableSize, coils_before.begin());
        modbus_reply(ctx_, query, rc, mapping_);
        ++requests_;
        for (int i = 0; i < kTableSize; ++i) {
          if (coils_before[i] == 0 && mapping_->tab_bits[i] != 0) ++rising_edges_[i];
        }
      }
      ++it;
    }
  }
  for (int c : clients) close(c);
  close(listen_fd_);
  listen_fd_ = -1;
  modbus_set_socket(ctx_, -1);
}

void ModbusTestServer::SetDiscreteInput(int address, bool value) {
  absl::MutexLock lock(&mu_);
  mapping_->tab_input_bits[address] = value ? 1 : 0;
}

bool ModbusTestServer::Coil(int address) const {
  absl::MutexLock lock(&mu_);
  return mapping_->tab_bits[address] != 0;
}

uint16_t ModbusTestServer::HoldingRegister(int address) const {
  absl::MutexLock lock(&mu_);
  return mapping_->tab_registers[address];
}

int ModbusTestServer::CoilRisingEdges(int address) const {
  absl::MutexLock lock(&mu_);
  return rising_edges_[address];
}

int ModbusTestServer::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

}  // namespace yardgate::gate::lane
