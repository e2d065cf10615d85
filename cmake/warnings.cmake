# Warnings are switched on per target, never globally (house style).
function(renrakumo_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual)
  if(RENRAKUMO_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
