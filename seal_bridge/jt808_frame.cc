#include "seal_bridge/jt808_frame.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace yardgate::seal {
namespace {

uint16_t ReadU16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

void PutU16(Bytes* out, uint16_t v) {
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

size_t Jt808Header::WireSize() const {
  size_t size = v2019 ? 17 : 12;
  if (subpackaged) size += 4;
  return size;
}

uint8_t XorChecksum(ByteSpan data) {
  uint8_t x = 0;
  for (uint8_t b : data) x ^= b;
  return x;
}

Bytes Escape(ByteSpan data) {
  Bytes out;
  out.reserve(data.size() + data.size() / 8 + 2);
  for (uint8_t b : data) {
    if (b == kJt808Flag) {
      out.push_back(kJt808Escape);
      out.push_back(0x02);
    } else if (b == kJt808Escape) {
      out.push_back(kJt808Escape);
      out.push_back(0x01);
    } else {
      out.push_back(b);
    }
  }
  return out;
}

absl::StatusOr<Bytes> Unescape(ByteSpan data) {
  Bytes out;
  out.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    uint8_t b = data[i];
    if (b != kJt808Escape) {
      out.push_back(b);
      continue;
    }
    if (i + 1 >= data.size()) {
      return absl::InvalidArgumentError("trailing 0x7d escape byte at end of frame");
    }
    uint8_t next = data[++i];
    if (next == 0x02) {
      out.push_back(kJt808Flag);
    } else if (next == 0x01) {
      out.push_back(kJt808Escape);
    } else {
      return absl::InvalidArgumentError(
          absl::StrFormat("bad escape sequence 7d %02x at offset %d", next, i - 1));
    }
  }
  return out;
}

absl::StatusOr<std::string> DecodeBcdDigits(ByteSpan bcd) {
  std::string digits;
  digits.reserve(bcd.size() * 2);
  for (uint8_t b : bcd) {
    int hi = b >> 4, lo = b & 0x0f;
    if (hi > 9 || lo > 9) {
      return absl::InvalidArgumentError(absl::StrFormat("byte %02x is not BCD", b));
    }
    digits.push_back(static_cast<char>('0' + hi));
    digits.push_back(static_cast<char>('0' + lo));
  }
  return digits;
}

absl::StatusOr<Bytes> EncodeBcdDigits(absl::string_view digits, size_t bytes, bool allow_hex) {
  if (digits.size() > bytes * 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", digits, "\" has more than ", bytes * 2, " digits"));
  }
  std::string padded(bytes * 2 - digits.size(), '0');
  padded.append(digits.data(), digits.size());
  Bytes out;
  for (size_t i = 0; i < padded.size(); i += 2) {
    const int hi = HexValue(padded[i]), lo = HexValue(padded[i + 1]);
    const int limit = allow_hex ? 15 : 9;
    if (hi < 0 || lo < 0 || hi > limit || lo > limit ||
        std::isupper(static_cast<unsigned char>(padded[i])) ||
        std::isupper(static_cast<unsigned char>(padded[i + 1]))) {
      return absl::InvalidArgumentError(absl::StrCat("\"", digits, "\" is not all digits"));
    }
    out.push_back(static_cast<uint8_t>((hi << 4) | lo));
  }
  return out;
}

absl::StatusOr<Bytes> ParseHex(absl::string_view hex) {
  Bytes out;
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == ':' || c == '\n' || c == '\t' || c == '\r') continue;
    int v = HexValue(c);
    if (v < 0) return absl::InvalidArgumentError(absl::StrCat("'", std::string(1, c), "' is not hex"));
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>((high << 4) | v));
      high = -1;
    }
  }
  if (high >= 0) return absl::InvalidArgumentError("odd number of hex digits");
  return out;
}

std::string ToHex(ByteSpan data) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(data.size() * 2);
  for (uint8_t b : data) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 0x0f]);
  }
  return s;
}

absl::StatusOr<Jt808Frame> DecodeFrame(ByteSpan content) {
  absl::StatusOr<Bytes> raw = Unescape(content);
  if (!raw.ok()) return raw.status();
  return DecodeUnescapedFrame(*raw);
}

absl::StatusOr<Jt808Frame> DecodeUnescapedFrame(ByteSpan data) {
  if (data.size() < 13) {  // 12-byte 2013 header + check
    return absl::InvalidArgumentError(
        absl::StrCat("frame of ", data.size(), " bytes is shorter than the 13-byte minimum"));
  }
  const uint8_t carried = data.back();
  const uint8_t computed = XorChecksum(data.subspan(0, data.size() - 1));
  if (carried != computed) {
    return absl::DataLossError(
        absl::StrFormat("checksum mismatch: frame carries %02x, computed %02x", carried, computed));
  }
  Jt808Frame frame;
  frame.check = carried;
  Jt808Header& h = frame.header;
  h.msg_id = ReadU16(&data[0]);
  h.attributes = ReadU16(&data[2]);
  h.body_length = h.attributes & 0x03ff;
  h.encryption = (h.attributes >> 10) & 0x07;
  h.subpackaged = (h.attributes & 0x2000) != 0;
  h.v2019 = (h.attributes & 0x4000) != 0;
  size_t pos = 4;
  const size_t header_size = h.WireSize();
  if (data.size() < header_size + 1) {
    return absl::OutOfRangeError(absl::StrCat("frame of ", data.size(),
                                              " bytes is shorter than its ", header_size,
                                              "-byte header"));
  }
  if (h.v2019) h.protocol_version = data[pos++];
  const size_t phone_bytes = h.v2019 ? 10 : 6;
  absl::StatusOr<std::string> digits = DecodeBcdDigits(data.subspan(pos, phone_bytes));
  if (!digits.ok()) {
    h.phone_is_bcd = false;
    digits = ToHex(data.subspan(pos, phone_bytes));
  }
  size_t first = digits->find_first_not_of('0');
  h.phone = first == std::string::npos ? "0" : digits->substr(first);
  pos += phone_bytes;
  h.serial = ReadU16(&data[pos]);
  pos += 2;
  if (h.subpackaged) {
    h.package_total = ReadU16(&data[pos]);
    h.package_index = ReadU16(&data[pos + 2]);
    pos += 4;
  }
  const size_t actual_body = data.size() - 1 - header_size;
  if (actual_body != h.body_length) {
    return absl::OutOfRangeError(absl::StrCat("length bits say ", h.body_length,
                                              " body bytes, frame has ", actual_body));
  }
  frame.body.assign(data.begin() + header_size, data.end() - 1);
  return frame;
}

Bytes EncodeFrame(const Jt808Header& header, ByteSpan body) {
  Bytes raw;
  raw.reserve(header.WireSize() + body.size() + 1);
  PutU16(&raw, header.msg_id);
  uint16_t attributes = static_cast<uint16_t>(std::min(body.size(), kJt808MaxBodyLength));
  attributes |= static_cast<uint16_t>((header.encryption & 0x07) << 10);
  if (header.subpackaged) attributes |= 0x2000;
  if (header.v2019) attributes |= 0x4000;
  PutU16(&raw, attributes);
  if (header.v2019) raw.push_back(header.protocol_version);
  absl::StatusOr<Bytes> phone =
      EncodeBcdDigits(header.phone, header.v2019 ? 10 : 6, /*allow_hex=*/!header.phone_is_bcd);
  if (phone.ok()) {
    raw.insert(raw.end(), phone->begin(), phone->end());
  } else {
    raw.insert(raw.end(), header.v2019 ? 10 : 6, 0);
  }
  PutU16(&raw, header.serial);
  if (header.subpackaged) {
    PutU16(&raw, header.package_total);
    PutU16(&raw, header.package_index);
  }
  raw.insert(raw.end(), body.begin(), body.begin() + std::min(body.size(), kJt808MaxBodyLength));
  raw.push_back(XorChecksum(raw));
  Bytes out;
  out.reserve(raw.size() + raw.size() / 8 + 2);
  out.push_back(kJt808Flag);
  Bytes escaped = Escape(raw);
  out.insert(out.end(), escaped.begin(), escaped.end());
  out.push_back(kJt808Flag);
  return out;
}

std::vector<Bytes> EncodeSubpackaged(const Jt808Header& header, ByteSpan body, size_t max_part) {
  max_part = std::clamp<size_t>(max_part, 1, kJt808MaxBodyLength);
  std::vector<Bytes> out;
  if (body.size() <= max_part) {
    Jt808Header h = header;
    h.subpackaged = false;
    out.push_back(EncodeFrame(h, body));
    return out;
  }
  const size_t total = (body.size() + max_part - 1) / max_part;
  for (size_t i = 0; i < total; ++i) {
    Jt808Header h = header;
    h.subpackaged = true;
    h.package_total = static_cast<uint16_t>(total);
    h.package_index = static_cast<uint16_t>(i + 1);
    h.serial = static_cast<uint16_t>(header.serial + i);
    out.push_back(EncodeFrame(h, body.subspan(i * max_part, max_part)));
  }
  return out;
}

void Jt808Framer::Feed(const uint8_t* data, size_t n, std::vector<Bytes>* out) {
  for (size_t i = 0; i < n; ++i) {
    const uint8_t b = data[i];
    switch (state_) {
      case State::kHunting:
        if (b == kJt808Flag) {
          state_ = State::kInFrame;
          buffer_.clear();
        } else {
          ++stats_.garbage_bytes;
        }
        break;
      case State::kDiscarding:
        if (b == kJt808Flag) {
          state_ = State::kInFrame;
          buffer_.clear();
        } else {
          ++stats_.discarded_bytes;
        }
        break;
      case State::kInFrame:
        if (b == kJt808Flag) {
          // A flag closes a non-empty frame and may also open the next one; an empty
          // frame (7E 7E) means the second flag opens a frame.
          if (!buffer_.empty()) {
            out->push_back(std::move(buffer_));
            buffer_ = Bytes();
          }
        } else if (buffer_.size() >= max_frame_bytes_) {
          ++stats_.oversize_frames;
          stats_.discarded_bytes += buffer_.size() + 1;
          buffer_.clear();
          buffer_.shrink_to_fit();
          state_ = State::kDiscarding;
        } else {
          buffer_.push_back(b);
        }
        break;
    }
  }
}

void Jt808Reassembler::DropOldest() {
  auto oldest = std::min_element(pending_.begin(), pending_.end(), [](const auto& a, const auto& b) {
    return a.second.order < b.second.order;
  });
  bytes_ -= oldest->second.bytes;
  pending_.erase(oldest);
  ++dropped_;
}

absl::StatusOr<std::optional<Jt808Frame>> Jt808Reassembler::Add(Jt808Frame frame) {
  const Jt808Header& h = frame.header;
  if (!h.subpackaged) return std::optional<Jt808Frame>(std::move(frame));
  if (h.package_index == 0 || h.package_index > h.package_total) {
    return absl::InvalidArgumentError(
        absl::StrCat("package index ", h.package_index, " of ", h.package_total));
  }
  if (h.package_total > max_packages_) {
    return absl::InvalidArgumentError(absl::StrCat("package total ", h.package_total,
                                                   " exceeds the limit of ", max_packages_));
  }
  if (frame.body.size() > max_bytes_) {
    return absl::InvalidArgumentError("package larger than the reassembly budget");
  }
  const uint16_t base = static_cast<uint16_t>(h.serial - (h.package_index - 1));
  const auto key = std::make_pair(h.msg_id, base);
  auto it = pending_.find(key);
  if (it != pending_.end() && it->second.total != h.package_total) {
    bytes_ -= it->second.bytes;
    pending_.erase(it);
    ++dropped_;
    return absl::InvalidArgumentError("package total changed within one message");
  }
  // Make room, never evicting the message this package belongs to.
  while (!pending_.empty() &&
         ((it == pending_.end() && pending_.size() >= max_pending_) ||
          bytes_ + frame.body.size() > max_bytes_)) {
    if (it != pending_.end() && pending_.size() == 1) {
      return absl::InvalidArgumentError("sub-packaged message exceeds the reassembly budget");
    }
    if (it != pending_.end()) {
      // Evict the oldest other message.
      auto victim = pending_.end();
      for (auto p = pending_.begin(); p != pending_.end(); ++p) {
        if (p != it && (victim == pending_.end() || p->second.order < victim->second.order)) victim = p;
      }
      bytes_ -= victim->second.bytes;
      pending_.erase(victim);
      ++dropped_;
    } else {
      DropOldest();
    }
  }
  if (it == pending_.end()) {
    it = pending_.emplace(key, Partial{h.package_total, next_order_++, 0, {}}).first;
  }
  Partial& partial = it->second;
  auto existing = partial.parts.find(h.package_index);
  if (existing != partial.parts.end()) {  // a resent package replaces the first copy
    partial.bytes -= existing->second.body.size();
    bytes_ -= existing->second.body.size();
  }
  partial.bytes += frame.body.size();
  bytes_ += frame.body.size();
  partial.parts[h.package_index] = std::move(frame);
  if (partial.parts.size() < partial.total) return std::optional<Jt808Frame>();
  Jt808Frame whole = std::move(partial.parts.begin()->second);
  for (auto p = std::next(partial.parts.begin()); p != partial.parts.end(); ++p) {
    whole.body.insert(whole.body.end(), p->second.body.begin(), p->second.body.end());
  }
  bytes_ -= partial.bytes;
  pending_.erase(it);
  whole.header.subpackaged = false;
  whole.header.body_length = static_cast<uint16_t>(std::min<size_t>(whole.body.size(), 0xffff));
  return std::optional<Jt808Frame>(std::move(whole));
}

}  // namespace yardgate::seal
