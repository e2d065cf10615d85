# The hub's memory allocator. In a report storm glibc's malloc took about a sixth of the hub
# loop's CPU: every envelope (1 KiB and more) is past its thread cache and goes through the
# arena's bins, and each such allocation first consolidates the fast bins. TCMalloc (Debian's
# libgoogle-perftools-dev, the "minimal" library without the profiler) keeps per-thread caches
# for sizes up to 256 KiB: 0.4-0.5 us less loop CPU per message, measured side by side
# (docs/performance.md). renrakumo_use_allocator(target) links it into an executable.
#   -DRENRAKUMO_TCMALLOC=OFF     the system malloc
# Sanitizer builds always use the system malloc: ASan replaces it with its own.
option(RENRAKUMO_TCMALLOC "Link the hub (and the benchmarks that host it) with TCMalloc" ON)

set(RENRAKUMO_WITH_TCMALLOC OFF)
if(RENRAKUMO_TCMALLOC AND NOT RENRAKUMO_SANITIZE)
  pkg_check_modules(TCMALLOC IMPORTED_TARGET libtcmalloc_minimal)
  if(TCMALLOC_FOUND)
    set(RENRAKUMO_WITH_TCMALLOC ON)
    message(STATUS "renrakumo-hub links TCMalloc (libtcmalloc_minimal ${TCMALLOC_VERSION})")
  else()
    message(WARNING "libtcmalloc_minimal not found (Debian: libgoogle-perftools-dev): "
      "renrakumo-hub uses the system malloc; -DRENRAKUMO_TCMALLOC=OFF silences this")
  endif()
endif()

function(renrakumo_use_allocator target)
  if(NOT RENRAKUMO_WITH_TCMALLOC)
    return()
  endif()
  # Nothing calls into the library by name: keep it linked even where the linker drops
  # libraries that no symbol needs (--as-needed), or malloc stays glibc's.
  target_link_options(${target} PRIVATE "LINKER:--no-as-needed")
  target_link_libraries(${target} PRIVATE PkgConfig::TCMALLOC)
  target_compile_definitions(${target} PRIVATE RENRAKUMO_WITH_TCMALLOC=1)
endfunction()
