# Helpers shared by every module's CMakeLists.txt.
#
# shopfloor_test(<name> SOURCES <files...> LIBS <targets...> [LABELS <labels...>])
#   A GoogleTest executable registered with CTest. Labels say what a test needs:
#   `unit` (nothing), `pg` (PostgreSQL), `redis` (Redis), `e2e` (the running
#   service with both). Tests needing servers read the SHOPFLOOR_* environment
#   that scripts/devenv.sh exports, and are run by scripts/test.sh.
function(shopfloor_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT 300
                       DISCOVERY_TIMEOUT 60)
endfunction()
