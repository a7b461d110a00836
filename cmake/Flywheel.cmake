# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Flywheel Authors
#
# flywheel_library(<folder-target> PUBLIC_DEPS ... PRIVATE_DEPS ... [SUBFOLDERS <name>...]
#                  [BASELINE_KERNEL_TESTS <filter>])
#
# One folder = one library target = one namespace. Sources are the folder's *.cpp and
# internal/*.cpp, and likewise for each of its SUBFOLDERS (concerns of the same library, e.g.
# fedtrain/model); every *_test.cpp becomes part of the folder's test binary <target>_test, whose
# GoogleTest cases are registered with CTest one by one. Headers are included from the repository
# root, e.g. #include "common/result.hpp". The tests that BASELINE_KERNEL_TESTS selects (a GoogleTest
# filter) are registered a second time, named baseline_kernels/<test>, with FLYWHEEL_KERNELS=baseline:
# the kernels a CPU without AVX2 runs (fedtrain/model/math_kernels.hpp), checked on this one.
function(flywheel_library target)
  cmake_parse_arguments(ARG "" "BASELINE_KERNEL_TESTS" "PUBLIC_DEPS;PRIVATE_DEPS;TEST_DEPS;SUBFOLDERS" ${ARGN})
  set(patterns ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/internal/*.cpp)
  foreach(sub ${ARG_SUBFOLDERS})
    list(APPEND patterns ${CMAKE_CURRENT_SOURCE_DIR}/${sub}/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/${sub}/internal/*.cpp)
  endforeach()
  file(GLOB sources CONFIGURE_DEPENDS ${patterns})
  set(tests ${sources})
  list(FILTER sources EXCLUDE REGEX "_(test|bench)\\.cpp$")
  list(FILTER tests INCLUDE REGEX "_test\\.cpp$")
  if(NOT sources)
    # A header-only folder.
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} INTERFACE ${ARG_PUBLIC_DEPS})
  else()
    add_library(${target} STATIC ${sources})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
    target_compile_definitions(${target} PRIVATE
      FLYWHEEL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  endif()
  if(FLYWHEEL_TESTS AND tests)
    add_executable(${target}_test ${tests})
    target_link_libraries(${target}_test PRIVATE ${target} ${ARG_PRIVATE_DEPS} ${ARG_TEST_DEPS}
                          GTest::gtest_main)
    target_compile_definitions(${target}_test PRIVATE
      FLYWHEEL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    gtest_discover_tests(${target}_test DISCOVERY_TIMEOUT 60)
    if(ARG_BASELINE_KERNEL_TESTS)
      gtest_discover_tests(${target}_test DISCOVERY_TIMEOUT 60 TEST_PREFIX "baseline_kernels/"
                           TEST_FILTER "${ARG_BASELINE_KERNEL_TESTS}"
                           PROPERTIES ENVIRONMENT "FLYWHEEL_KERNELS=baseline")
    endif()
  endif()
endfunction()
