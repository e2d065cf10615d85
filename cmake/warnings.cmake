# Warnings are switched on per target, never globally (house style). Sanitizers ride along:
# every target that gets the warnings also gets RENRAKUMO_SANITIZE (cmake/sanitizers.cmake).
function(renrakumo_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual)
  if(RENRAKUMO_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  renrakumo_sanitize(${target})
endfunction()
