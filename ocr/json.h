// JSON rendering of a visit's reads, as printed by yardgate-ocr:
//   {"containers":[{"number","iso_type","confidence","auto","check_digit_ok",
//     "check_digit_blind","settlement","frames":[{"image","box":[x,y,w,h],"raw","confidence",
//     "score"}]}],
//    "plates":[{"text","kind","confidence","auto","settlement","frames":[...]}],
//    "elapsed_ms"}
// "settlement" is null, or {"characters":[{"position","read","expected","read_probability",
// "expected_probability"}],"reason","sure"} (engine.h's Settlement).
// Plain functions, safe from any thread.
#ifndef YARDGATE_OCR_JSON_H_
#define YARDGATE_OCR_JSON_H_

#include <string>
#include <string_view>

#include "ocr/engine.h"

namespace yardgate::ocr {


// One line, no trailing newline.
std::string VisitReadsToJson(const VisitReads& reads);

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_JSON_H_
