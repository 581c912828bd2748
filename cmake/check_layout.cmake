# The layout the build promises (run by ctest as layout_includes):
#   common/       includes nothing of ours but common/;
#   gate/         never server/, ocr/ or seal_bridge/ (it owns the interfaces it needs);
#   ocr/          never server/, gate/ or seal_bridge/;
#   seal_bridge/  never server/, gate/ or ocr/.
# Only server/ (the process and its adapters), tests/ and bench/ put the parts together.
#
#   cmake -DROOT=<source dir> -P cmake/check_layout.cmake
if(NOT ROOT)
  message(FATAL_ERROR "pass -DROOT=<source dir>")
endif()

set(FORBIDDEN_common "gate/;ocr/;seal_bridge/;server/;proto/;yardgate/")
set(FORBIDDEN_gate "server/;ocr/;seal_bridge/;yardgate/")
set(FORBIDDEN_ocr "server/;gate/;seal_bridge/;yardgate/")
set(FORBIDDEN_seal_bridge "server/;gate/;ocr/;yardgate/")

set(violations "")
set(checked 0)
foreach(part common gate ocr seal_bridge)
  file(GLOB_RECURSE files RELATIVE ${ROOT} ${ROOT}/${part}/*.h ${ROOT}/${part}/*.cc)
  foreach(file ${files})
    math(EXPR checked "${checked} + 1")
    file(STRINGS ${ROOT}/${file} includes REGEX "^[ \t]*#[ \t]*include[ \t]+\"")
    foreach(line ${includes})
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]+\"([^\"]+)\".*" "\\1" header "${line}")
      foreach(prefix ${FORBIDDEN_${part}})
        string(FIND "${header}" "${prefix}" at)
        if(at EQUAL 0)
          list(APPEND violations "${file} includes ${header}: ${part}/ must not include ${prefix}")
        endif()
      endforeach()
    endforeach()
  endforeach()
endforeach()

if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "layout broken:\n  ${text}")
endif()
message(STATUS "layout holds: ${checked} files of common/, gate/, ocr/, seal_bridge/ checked")
