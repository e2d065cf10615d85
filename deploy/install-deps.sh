#!/usr/bin/env bash
# Installs every Debian 12 package renrakumo needs to build, test and run. Idempotent.
# Used by the README's two commands and by .ci/run, so the list lives in one place.
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config
  libzmq3-dev cppzmq-dev            # ZeroMQ 4.3 and its C++ binding
  libprotobuf-dev protobuf-compiler # messages and config schema
  libspdlog-dev                     # named loggers
  libsqlite3-dev sqlite3            # the journal (sqlite3: backups, inspection)
  libsodium-dev                     # Ed25519 signatures on advisories
  libyaml-cpp-dev                   # config files
  libcli11-dev                      # command lines
  nlohmann-json3-dev                # listen --json
  libgtest-dev libgmock-dev         # tests
)
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
