#include "gate/decision.h"

#include <gtest/gtest.h>

namespace yardgate::gate {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

class DecisionTest : public ::testing::Test {
 protected:
  DecisionTest() {
    appointment_.id = "A1";
    appointment_.plate = "粤B12345";
    appointment_.direction = Direction::kIn;
    appointment_.containers.push_back(Move("CSQU3054383", TransactionType::kReceiveExport));
    input_.visit_id = "V1";
    input_.direction = Direction::kIn;
    input_.now = kNow;
    input_.plates.push_back(Read("粤B12345", 0.9995));
    input_.containers.push_back(Read("CSQU3054383", 0.98));
    input_.appointments.push_back(appointment_);
  }

  static FieldRead Read(const std::string& text, double confidence) {
    FieldRead r;
    r.text = text;
    r.confidence = confidence;
    r.source = "ocr";
    return r;
  }
  static ContainerMove Move(const std::string& number, TransactionType type, bool release_required = false) {
    ContainerMove m;
    m.container_number = number;
    m.transaction_type = type;
    m.customs_release_required = release_required;
    return m;
  }

  std::vector<ReasonCode> Codes(const DecisionOutcome& outcome) {
    std::vector<ReasonCode> codes;
    for (const Reason& r : outcome.reasons) codes.push_back(r.code);
    return codes;
  }

  Appointment appointment_;
  DecisionInput input_;
  DecisionPolicy policy_;
};

TEST_F(DecisionTest, MatchingVisitOpens) {
  const DecisionOutcome out = Decide(input_, policy_);
  EXPECT_EQ(out.verdict, Verdict::kOpen);
  EXPECT_TRUE(out.reasons.empty());
  EXPECT_EQ(out.appointment_id, "A1");
  EXPECT_FALSE(out.message_zh.empty());
}

TEST_F(DecisionTest, PlateIsNormalizedBeforeMatching) {
  input_.plates[0].text = "粤b·12345";
  EXPECT_EQ(Decide(input_, policy_).verdict, Verdict::kOpen);
}

TEST_F(DecisionTest, WrongCheckDigitIsTroubleNamingTheContainer) {
  input_.containers[0].text = "CSQU3054384";
  const DecisionOutcome out = Decide(input_, policy_);
  EXPECT_EQ(out.verdict, Verdict::kTrouble);
  ASSERT_FALSE(out.reasons.empty());
  EXPECT_EQ(out.reasons[0].code, ReasonCode::kCheckDigitFailed);
  EXPECT_EQ(out.reasons[0].subject, "CSQU3054384");
  EXPECT_NE(out.reasons[0].detail.find("expected 3"), std::string::npos);
}

TEST_F(DecisionTest, MissingPlateIsTrouble) {
  input_.plates.clear();
  const DecisionOutcome out = Decide(input_, policy_);
  EXPECT_EQ(out.verdict, Verdict::kTrouble);
  EXPECT_EQ(Codes(out)[0], ReasonCode::kNoPlate);
}

TEST_F(DecisionTest, NoAppointmentIsTrouble) {
  input_.appointments.clear();
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kNoAppointment});
}

TEST_F(DecisionTest, AppointmentForOtherDirectionDoesNotCount) {
  input_.direction = Direction::kOut;
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kNoAppointment});
}

TEST_F(DecisionTest, WrongPlateWithAppointedContainerIsPlateMismatch) {
  input_.plates[0].text = "粤B99999";
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kPlateMismatch});
}

TEST_F(DecisionTest, UnknownContainerIsNotExpectedAndAppointedOneMissing) {
  input_.containers[0].text = "TGHU1643396";
  EXPECT_EQ(Codes(Decide(input_, policy_)),
            (std::vector<ReasonCode>{ReasonCode::kContainerNotExpected, ReasonCode::kContainerMissing}));
}

TEST_F(DecisionTest, DeliveryAtInGateNeedsNoContainerOnTruck) {
  input_.appointments[0].containers[0].transaction_type = TransactionType::kDeliverImport;
  input_.containers.clear();
  EXPECT_EQ(Decide(input_, policy_).verdict, Verdict::kOpen);
}

TEST_F(DecisionTest, LowConfidenceReadIsTrouble) {
  input_.containers[0].confidence = 0.5;
  const DecisionOutcome out = Decide(input_, policy_);
  EXPECT_EQ(Codes(out), std::vector<ReasonCode>{ReasonCode::kLowConfidence});
  EXPECT_EQ(out.reasons[0].subject, "CSQU3054383");
}

TEST_F(DecisionTest, OutsideWindowIsTrouble) {
  input_.appointments[0].window_start = kNow + absl::Hours(1);
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kOutsideTimeWindow});
}

TEST_F(DecisionTest, CustomsStatesAreChecked) {
  input_.customs["CSQU3054383"] = CustomsStatus::kHeld;
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kCustomsHold});
  input_.customs["CSQU3054383"] = CustomsStatus::kInspection;
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kCustomsInspection});
  input_.customs.clear();
  input_.appointments[0].containers[0].customs_release_required = true;
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kCustomsNotReleased});
  input_.customs["CSQU3054383"] = CustomsStatus::kReleased;
  EXPECT_EQ(Decide(input_, policy_).verdict, Verdict::kOpen);
}

TEST_F(DecisionTest, OutGateChecksCustomsOnlyForWhatLeaves) {
  // At the out-gate the export box it dropped is in the yard: its hold is not this truck's.
  input_.direction = Direction::kOut;
  input_.appointments[0].direction = Direction::kOut;
  input_.appointments[0].containers.push_back(Move("TGHU1643396", TransactionType::kDeliverImport, true));
  input_.containers = {Read("TGHU1643396", 0.99)};
  input_.customs["CSQU3054383"] = CustomsStatus::kHeld;
  input_.customs["TGHU1643396"] = CustomsStatus::kReleased;
  EXPECT_EQ(Decide(input_, policy_).verdict, Verdict::kOpen);
  input_.customs["TGHU1643396"] = CustomsStatus::kHeld;
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kCustomsHold});
}

TEST_F(DecisionTest, PolicyCanRequireReleaseForAll) {
  policy_.require_customs_release = true;
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kCustomsNotReleased});
}

TEST_F(DecisionTest, SealChecks) {
  input_.appointments[0].containers[0].seal_id = "EL1";
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kSealMissing});

  SealView seal{"EL1", SealCondition::kArrived, {}, "粤B12345", {"CSQU3054383"}};
  input_.seals = {seal};
  EXPECT_EQ(Decide(input_, policy_).verdict, Verdict::kOpen);

  input_.seals[0].open_alarms = {"rope_cut"};
  input_.seals[0].condition = SealCondition::kAlarm;
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kSealAlarm});

  input_.seals = {seal};
  input_.seals[0].plate = "粤B00000";
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kSealMismatch});

  input_.seals = {seal};
  input_.seals[0].condition = SealCondition::kUnlocked;
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kSealNotArrived});
}

TEST_F(DecisionTest, SealBoundToContainerIsCheckedEvenIfNotAppointed) {
  input_.seals = {SealView{"EL9", SealCondition::kAlarm, {"tamper"}, "粤B12345", {"CSQU3054383"}}};
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kSealAlarm});
}

TEST_F(DecisionTest, LaneFaultIsTrouble) {
  input_.lane_healthy = false;
  input_.lane_fault = "PLC unreachable";
  const DecisionOutcome out = Decide(input_, policy_);
  EXPECT_EQ(Codes(out), std::vector<ReasonCode>{ReasonCode::kLaneFault});
  EXPECT_EQ(out.reasons[0].detail, "PLC unreachable");
}

TEST_F(DecisionTest, BlacklistedPlateIsDenied) {
  policy_.blacklisted_plates = {"粤B12345"};
  EXPECT_EQ(Decide(input_, policy_).verdict, Verdict::kDeny);
}

TEST_F(DecisionTest, RiskDrawIsReproducibleAndRespectsRatio) {
  EXPECT_EQ(RiskDraw(7, "V1"), RiskDraw(7, "V1"));
  EXPECT_NE(RiskDraw(7, "V1"), RiskDraw(8, "V1"));
  int selected = 0;
  for (int i = 0; i < 10000; ++i) selected += RiskDraw(1, "V" + std::to_string(i)) < 0.1;
  EXPECT_NEAR(selected, 1000, 150);

  policy_.default_inspection_ratio = 1.0;
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kRiskInspection});
  policy_.company_inspection_ratio["TRUSTED"] = 0.0;
  input_.appointments[0].company = "TRUSTED";
  EXPECT_EQ(Decide(input_, policy_).verdict, Verdict::kOpen);
}

TEST_F(DecisionTest, UnknownSealConditionFailsClosed) {
  input_.seals = {SealView{"EL1", SealCondition::kUnknown, {}, "粤B12345", {"CSQU3054383"}}};
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kSealNotArrived});
}

// Issue 14, defect 1: a customs status the gate does not know must hold the box, never
// replace a hold with a pass.
TEST_F(DecisionTest, UnknownCustomsStatusFailsClosed) {
  for (int value : {4, -1, 99}) {
    input_.customs["CSQU3054383"] = static_cast<CustomsStatus>(value);
    EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kUnknownValue}) << value;
  }
}

TEST_F(DecisionTest, UnknownDirectionFailsClosed) {
  input_.direction = static_cast<Direction>(7);
  EXPECT_NE(Decide(input_, policy_).verdict, Verdict::kOpen);
}

TEST_F(DecisionTest, UsedAppointmentNeverOpens) {
  input_.appointments[0].used = true;
  input_.appointments[0].visit_id = "V0";
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kAppointmentInUse});
  // The visit that used it continues on it at a later stage.
  input_.visit_id = "V0";
  EXPECT_EQ(Decide(input_, policy_).verdict, Verdict::kOpen);
}

TEST_F(DecisionTest, AppointmentHeldByAnotherOpenVisitDoesNotOpenASecondTruck) {
  input_.appointments[0].visit_id = "V0";
  EXPECT_EQ(Codes(Decide(input_, policy_)), std::vector<ReasonCode>{ReasonCode::kAppointmentInUse});
}

TEST_F(DecisionTest, AFreeBookingWinsOverAUsedOneOfTheSamePlate) {
  Appointment old = appointment_;
  old.id = "A0";
  old.used = true;
  old.visit_id = "V0";
  input_.appointments.insert(input_.appointments.begin(), old);
  const DecisionOutcome out = Decide(input_, policy_);
  EXPECT_EQ(out.verdict, Verdict::kOpen);
  EXPECT_EQ(out.appointment_id, "A1");
}

TEST_F(DecisionTest, EitherPlateOfACrossBorderTruckFindsTheBooking) {
  input_.appointments[0].second_plate = "LV1234";
  input_.plates = {Read("LV1234", 0.9995)};
  const DecisionOutcome out = Decide(input_, policy_);
  EXPECT_EQ(out.verdict, Verdict::kOpen);
  EXPECT_EQ(out.matched_plate, "LV1234");
}

TEST_F(DecisionTest, AReadSettledFromTheAppointmentWhereTheRecogniserWasUnsureDoesNotOpen) {
  input_.plates[0].settled = true;
  input_.plates[0].doubt = "position 3: the recogniser gave the booked 'B' 0.04";
  const DecisionOutcome out = Decide(input_, policy_);
  EXPECT_EQ(Codes(out), std::vector<ReasonCode>{ReasonCode::kLowConfidence});
  EXPECT_NE(out.reasons[0].detail.find("0.04"), std::string::npos);
  input_.plates[0].doubt.clear();  // a settlement the recogniser itself is sure of
  EXPECT_EQ(Decide(input_, policy_).verdict, Verdict::kOpen);
}

TEST(ClerkOverride, CustomsSealsLaneAndUsedAppointmentsNeverWhateverTheConfig) {
  DecisionPolicy policy;
  for (ReasonCode code : {ReasonCode::kCustomsHold, ReasonCode::kCustomsInspection, ReasonCode::kCustomsNotReleased,
                          ReasonCode::kSealAlarm, ReasonCode::kSealMismatch, ReasonCode::kSealMissing,
                          ReasonCode::kSealNotArrived, ReasonCode::kLaneFault, ReasonCode::kAppointmentInUse,
                          ReasonCode::kBlacklisted, ReasonCode::kUnknownValue}) {
    policy.clerk_overridable.insert(code);
    EXPECT_FALSE(ClerkMayOverride(code, policy)) << ReasonCodeName(code);
  }
  EXPECT_TRUE(ClerkMayOverride(ReasonCode::kLowConfidence, DecisionPolicy{}));
  EXPECT_TRUE(ClerkMayOverride(ReasonCode::kOutsideTimeWindow, DecisionPolicy{}));
  EXPECT_TRUE(ClerkMayOverride(ReasonCode::kRiskInspection, DecisionPolicy{}));
  EXPECT_FALSE(ClerkMayOverride(ReasonCode::kNoAppointment, DecisionPolicy{}));
}

}  // namespace
}  // namespace yardgate::gate
