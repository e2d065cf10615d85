#!/usr/bin/env bash
# Installs every Debian 12 package renrakumo needs to build, test and run. Idempotent.
# Used by the README's two commands and by .ci/run, so the list lives in one place.
#   --sanitizers  also clang, libFuzzer and the LLVM tools, for the `asan` and `fuzz` presets
#                 (CI uses it; the plain build does not need them)
set -euo pipefail
sanitizers=false
for arg in "$@"; do
  case "$arg" in
    --sanitizers) sanitizers=true ;;
    *) echo "install-deps: unknown option '$arg' (known: --sanitizers)" >&2; exit 2 ;;
  esac
done
packages=(
  cmake ninja-build g++ pkg-config
  libzmq3-dev cppzmq-dev            # ZeroMQ 4.3 and its C++ binding
  libprotobuf-dev protobuf-compiler # messages and config schema
  libspdlog-dev                     # named loggers
  libsqlite3-dev sqlite3            # the journal (sqlite3: backups, inspection)
  libsodium-dev                     # Ed25519 signatures on advisories
  libabsl-dev                       # flat hash table for the journal's in-memory key index
  libxxhash-dev                     # XXH3 checksums of the journal log (header only)
  libssl-dev                        # SHA-256 of the audit trail (libcrypto: SHA instructions)
  libgoogle-perftools-dev           # TCMalloc, the hub's allocator (libtcmalloc_minimal)
  libyaml-cpp-dev                   # config files
  libcli11-dev                      # command lines
  nlohmann-json3-dev                # listen --json
  libgtest-dev libgmock-dev         # tests
)
if $sanitizers; then
  packages+=(
    clang libclang-rt-14-dev          # clang++ -fsanitize=fuzzer (libFuzzer), ASan/UBSan runtimes
    llvm                              # llvm-symbolizer: sanitizer reports with file:line
  )
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
