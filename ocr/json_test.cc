#include "ocr/json.h"

#include "gtest/gtest.h"

namespace yardgate::ocr {
namespace {

TEST(VisitReadsToJson, Shape) {
  VisitReads r;
  ContainerRead c;
  c.number = "CSQU3054383";
  c.iso_type = "22G1";
  c.confidence = 0.97;
  c.auto_ok = true;
  c.check_digit_ok = true;
  c.frames.push_back({"a.jpg", 1, 2, 3, 4, "CSQU 305438 3", 0.9, 0.8});
  r.containers.push_back(c);
  PlateRead p;
  p.text = "粤B12345";
  p.kind = PlateReadKind::kMainland;
  p.confidence = 0.5;
  p.settlement.characters.push_back({4, "8", "3", 0.55, 0.4});
  p.settlement.reason = "why";
  r.plates.push_back(p);
  r.elapsed_ms = 12.5;
  EXPECT_EQ(VisitReadsToJson(r),
            "{\"containers\":[{\"number\":\"CSQU3054383\",\"iso_type\":\"22G1\","
            "\"confidence\":0.97,\"auto\":true,\"check_digit_ok\":true,"
            "\"check_digit_blind\":false,\"settlement\":null,\"frames\":[{\"image\":\"a.jpg\","
            "\"box\":[1,2,3,4],\"raw\":\"CSQU 305438 3\",\"confidence\":0.9,\"score\":0.8}]}],"
            "\"plates\":[{\"text\":\"粤B12345\",\"kind\":\"mainland\",\"confidence\":0.5,"
            "\"auto\":false,\"settlement\":{\"characters\":[{\"position\":4,\"read\":\"8\","
            "\"expected\":\"3\",\"read_probability\":0.55,\"expected_probability\":0.4}],"
            "\"reason\":\"why\",\"sure\":false},\"frames\":[]}],\"elapsed_ms\":12.5}");
}

}  // namespace
}  // namespace yardgate::ocr
