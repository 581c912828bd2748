// The D.95B codes behind codeco.h's enums, one table each, read by the writer (codeco.cc)
// and the decoder (codeco_reader.cc) alike so that the two cannot drift apart.
//
// Private to gate/codeco. Constant tables, safe from any thread.
#ifndef YARDGATE_GATE_CODECO_INTERNAL_CODES_H_
#define YARDGATE_GATE_CODECO_INTERNAL_CODES_H_

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "gate/codeco/codeco.h"

namespace yardgate::gate::codeco::internal {

template <typename E, size_t N>
using CodeTable = std::array<std::pair<E, std::string_view>, N>;

inline constexpr CodeTable<GateDirection, 2> kDirectionCodes{
    {{GateDirection::kGateIn, "34"}, {GateDirection::kGateOut, "36"}}};
inline constexpr CodeTable<MessageFunction, 3> kFunctionCodes{
    {{MessageFunction::kOriginal, "9"}, {MessageFunction::kReplace, "5"}, {MessageFunction::kCancel, "1"}}};
inline constexpr CodeTable<FullEmpty, 2> kFullEmptyCodes{{{FullEmpty::kEmpty, "4"}, {FullEmpty::kFull, "5"}}};
inline constexpr CodeTable<TradeStatus, 4> kTradeStatusCodes{{{TradeStatus::kContinental, "1"},
                                                              {TradeStatus::kExport, "2"},
                                                              {TradeStatus::kImport, "3"},
                                                              {TradeStatus::kTranshipment, "6"}}};
inline constexpr CodeTable<EquipmentSupplier, 2> kSupplierCodes{
    {{EquipmentSupplier::kShipper, "1"}, {EquipmentSupplier::kCarrier, "2"}}};
inline constexpr CodeTable<Haulage, 2> kHaulageCodes{{{Haulage::kCarrier, "1"}, {Haulage::kMerchant, "2"}}};
inline constexpr CodeTable<SealParty, 3> kSealPartyCodes{
    {{SealParty::kCarrier, "CA"}, {SealParty::kCustoms, "CU"}, {SealParty::kShipper, "SH"}}};
// The state word in "ELOCK <id> <state> [HH:MM]".
inline constexpr CodeTable<SealStateCode, 7> kSealStateCodeTexts{{{SealStateCode::kApplied, "APPLIED"},
                                                            {SealStateCode::kInTransit, "IN TRANSIT"},
                                                            {SealStateCode::kArrived, "ARRIVED"},
                                                            {SealStateCode::kVerified, "VERIFIED"},
                                                            {SealStateCode::kUnlocked, "UNLOCKED"},
                                                            {SealStateCode::kRemoved, "REMOVED"},
                                                            {SealStateCode::kAlarm, "ALARM"}}};

// The code for `value`, or "" when the table has none (an unset enum).
template <typename E, size_t N>
std::string CodeOf(const CodeTable<E, N>& table, E value) {
  for (const auto& [e, code] : table) {
    if (e == value) return std::string(code);
  }
  return "";
}

// The enum for `code`, or nullopt.
template <typename E, size_t N>
std::optional<E> EnumOf(const CodeTable<E, N>& table, std::string_view code) {
  for (const auto& [e, c] : table) {
    if (c == code) return e;
  }
  return std::nullopt;
}

}  // namespace yardgate::gate::codeco::internal

#endif  // YARDGATE_GATE_CODECO_INTERNAL_CODES_H_
