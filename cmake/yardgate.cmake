# One helper per kind of target, so every declaration has the same shape.

set(YARDGATE_WARNINGS -Wall -Wextra)

# yardgate_library(NAME SOURCES ... DEPS ...)
function(yardgate_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${YARDGATE_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# yardgate_executable(NAME SOURCES ... DEPS ...): lands in <build dir>/bin.
function(yardgate_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${YARDGATE_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# yardgate_test(NAME SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary registered with ctest.
function(yardgate_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${YARDGATE_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  set(properties ENVIRONMENT "YARDGATE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  if(ARG_LABELS)
    list(APPEND properties LABELS "${ARG_LABELS}")
  endif()
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DISCOVERY_TIMEOUT 60
    PROPERTIES ${properties})
endfunction()

# yardgate_bench(NAME SOURCES ... DEPS ...): a benchmark that prints figures; not a test.
function(yardgate_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${YARDGATE_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# libFuzzer targets. A normal build (any compiler) builds NAME_replay, which runs the fuzz
# entry point over every file of REGRESSIONS (crash inputs, kept forever) and CORPUS (a small
# minimised corpus), registered with ctest as NAME_regressions. A clang build configured with
# -DYARDGATE_FUZZ=ON (deploy/fuzz.sh, in build-fuzz/) also builds NAME itself, with
# libFuzzer, ASan and UBSan, and lists it in <build dir>/fuzz_targets.tsv for the script.
option(YARDGATE_FUZZ "Build the libFuzzer targets (clang only; see deploy/fuzz.sh)" OFF)
file(WRITE ${CMAKE_BINARY_DIR}/fuzz_targets.tsv "")
if(YARDGATE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "YARDGATE_FUZZ needs clang (deploy/fuzz.sh configures it)")
  endif()
  # Everything a fuzzer links is instrumented for coverage and checked by the sanitizers.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# yardgate_fuzzer(NAME SOURCES ... DEPS ... REGRESSIONS dir CORPUS dir [OPTIONS -flag=value ...]):
# SOURCES define LLVMFuzzerTestOneInput; OPTIONS are libFuzzer flags deploy/fuzz.sh adds.
function(yardgate_fuzzer name)
  cmake_parse_arguments(ARG "" "REGRESSIONS;CORPUS" "SOURCES;DEPS;OPTIONS" ${ARGN})
  add_executable(${name}_replay ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/cmake/fuzz_replay_main.cc)
  target_include_directories(${name}_replay PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${name}_replay PRIVATE ${YARDGATE_WARNINGS})
  target_link_libraries(${name}_replay PRIVATE ${ARG_DEPS})
  set_target_properties(${name}_replay PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name}_regressions COMMAND ${name}_replay ${ARG_REGRESSIONS} ${ARG_CORPUS})
  set_tests_properties(${name}_regressions PROPERTIES LABELS fuzz)
  if(YARDGATE_FUZZ)
    add_executable(${name} ${ARG_SOURCES})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} PRIVATE ${ARG_DEPS})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    list(JOIN ARG_OPTIONS " " options)
    file(APPEND ${CMAKE_BINARY_DIR}/fuzz_targets.tsv "${name}\t${ARG_REGRESSIONS}\t${ARG_CORPUS}\t${options}\n")
  endif()
endfunction()
