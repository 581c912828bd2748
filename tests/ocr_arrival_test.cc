// SubmitArrival with camera frames runs the OCR engine: a synthetic container frame, sent as
// JPEG over real gRPC, is read, fused into the visit and decided; frames that are not images
// or are too large are refused naming the frame.
#include <SQLiteCpp/Database.h>
#include <opencv2/imgcodecs.hpp>

#include "ocr/synth.h"
#include "server/journal.h"
#include "tests/test_server.h"

namespace yardgate::testing {
namespace {

class OcrArrivalTest : public ServerFixture {
 protected:
  void SetUp() override { StartServer(); }

  static std::string Jpeg(const cv::Mat& bgr) {
    std::vector<uchar> bytes;
    cv::imencode(".jpg", bgr, bytes, {cv::IMWRITE_JPEG_QUALITY, 92});
    return std::string(bytes.begin(), bytes.end());
  }

  grpc::Status Submit(const std::vector<std::string>& images, const std::string& plate,
                      v1::SubmitArrivalResponse* resp) {
    v1::SubmitArrivalRequest req;
    req.set_idempotency_key(NextKey());
    req.set_lane_id("L1");
    req.mutable_read()->set_plate(plate);  // the lane's RFID e-plate
    for (const std::string& image : images) {
      v1::CameraFrame* f = req.add_frames();
      f->set_position(v1::CAMERA_POSITION_REAR);
      f->set_camera_id("rear-1");
      f->set_jpeg(image);
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(60));
    return Gate()->SubmitArrival(&ctx, req, resp);
  }
};

TEST_F(OcrArrivalTest, FramesAreReadFusedAndDecided) {
  absl::StatusOr<std::unique_ptr<ocr::Synthesizer>> synth = ocr::Synthesizer::Create();
  ASSERT_TRUE(synth.ok()) << synth.status();
  ocr::ContainerSpec spec;
  spec.seed = 11;
  spec.width = 960;
  spec.height = 540;
  spec.char_height = 40;
  const ocr::SynthImage img = (*synth)->Container(spec);
  Book("A1", "粤B12345", {img.truth});

  v1::SubmitArrivalResponse resp;
  const grpc::Status s = Submit({Jpeg(img.bgr)}, "粤B12345", &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const v1::Visit& visit = resp.visit();
  ASSERT_GE(visit.containers_size(), 1) << visit.DebugString();
  EXPECT_EQ(visit.containers(0).text(), img.truth);
  EXPECT_EQ(visit.containers(0).source(), "ocr");
  EXPECT_TRUE(visit.containers(0).check_digit_ok());
  // A confident read opens; an unsure one goes to the desk for that reason alone.
  if (visit.decision() != v1::DECISION_OPEN) {
    EXPECT_EQ(visit.decision(), v1::DECISION_TROUBLE);
    for (const v1::Reason& r : visit.reasons()) EXPECT_EQ(r.code(), v1::REASON_CODE_LOW_CONFIDENCE) << visit.DebugString();
  }
  // The frame is kept as evidence for the trouble desk.
  if (visit.decision() == v1::DECISION_TROUBLE) {
    v1::ListTroubleVisitsRequest req;
    req.set_include_frames(true);
    grpc::ClientContext ctx;
    v1::ListTroubleVisitsResponse desk;
    ASSERT_TRUE(Terminal()->ListTroubleVisits(&ctx, req, &desk).ok());
    ASSERT_EQ(desk.cases_size(), 1);
    ASSERT_EQ(desk.cases(0).frames_size(), 1);
    EXPECT_EQ(desk.cases(0).frames(0).image(), Jpeg(img.bgr));
  }
  SQLite::Database db(config().data_dir + "/yardgate.db", SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT camera, length(image) FROM visit_frames WHERE visit_id = ?");
  q.bind(1, visit.visit_id());
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(0).getString(), "CAMERA_POSITION_REAR:rear-1");
  EXPECT_GT(q.getColumn(1).getInt(), 1000);
}

TEST_F(OcrArrivalTest, UndecodableFrameIsInvalidArgumentNamingIt) {
  v1::SubmitArrivalResponse resp;
  const grpc::Status s = Submit({"this is not an image"}, "粤B12345", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("frames[0]"), std::string::npos) << s.error_message();
  EXPECT_EQ(server()->journal().events().last_sequence(), 0u);  // nothing was written
}

TEST_F(OcrArrivalTest, FrameOverTheLimitIsInvalidArgument) {
  StopServer();
  config().max_frame_bytes = 100 << 10;
  StartServer();
  v1::SubmitArrivalResponse resp;
  const grpc::Status s = Submit({std::string(200 << 10, '\xff')}, "粤B12345", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("frames[0]"), std::string::npos) << s.error_message();
}

}  // namespace
}  // namespace yardgate::testing
