# Sanitizers are switched on per target, like warnings, never through CMAKE_CXX_FLAGS:
# renrakumo_warnings() calls renrakumo_sanitize(), so every target of the project gets them.
#   -DRENRAKUMO_SANITIZE=address,undefined                  the `asan` preset (g++ or clang++)
#   -DRENRAKUMO_SANITIZE=fuzzer-no-link,address,undefined   the `fuzz` preset (clang++ only):
#       libraries carry libFuzzer's coverage hooks; tests/fuzz links libFuzzer itself.
# Any UB report is fatal (-fno-sanitize-recover=all), so a finding fails the test or the fuzzer.
set(RENRAKUMO_SANITIZE "" CACHE STRING
  "Comma-separated -fsanitize= list for every renrakumo target, e.g. address,undefined (empty: none)")

if(RENRAKUMO_SANITIZE)
  if(NOT RENRAKUMO_SANITIZE MATCHES "^[a-z,-]+$")
    message(FATAL_ERROR "RENRAKUMO_SANITIZE='${RENRAKUMO_SANITIZE}': expected a comma-separated "
      "list of sanitizer names, e.g. address,undefined")
  endif()
  message(STATUS "Sanitizers on every renrakumo target: ${RENRAKUMO_SANITIZE}")
endif()

function(renrakumo_sanitize target)
  if(NOT RENRAKUMO_SANITIZE)
    return()
  endif()
  set(flags -fsanitize=${RENRAKUMO_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_compile_options(${target} PRIVATE ${flags})
  # A static library is not linked itself; its consumers need the runtime, so the link
  # flags travel with it (INTERFACE) as well as applying to executables and shared libraries.
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    target_link_options(${target} INTERFACE ${flags})
  else()
    target_link_options(${target} PRIVATE ${flags})
  endif()
endfunction()
