# taskforge_add_library(NAME SOURCES...): one folder = one library target `taskforge_<name>`
# with alias `taskforge::<name>`, public headers under include/, private ones under src/.
function(taskforge_add_library name)
  add_library(taskforge_${name} ${ARGN})
  add_library(taskforge::${name} ALIAS taskforge_${name})
  target_include_directories(taskforge_${name}
    PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_compile_features(taskforge_${name} PUBLIC cxx_std_20)
  taskforge_enable_warnings(taskforge_${name})
endfunction()

# Warnings for our own targets only (third-party headers are included as SYSTEM).
function(taskforge_enable_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wno-unused-parameter)
endfunction()

# taskforge_add_test(NAME SOURCES... LIBS ...): one Catch2 executable per library.
function(taskforge_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} Catch2::Catch2WithMain)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(${name} PRIVATE TASKFORGE_TEST_ASSETS="${TASKFORGE_ASSETS_DIR}"
                                             TASKFORGE_TEST_DATA="${PROJECT_SOURCE_DIR}/tests")
  taskforge_enable_warnings(${name})
  catch_discover_tests(${name} PROPERTIES TIMEOUT 600)
endfunction()
