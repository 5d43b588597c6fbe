#!/usr/bin/env bash
# Installs the Debian 12 packages nac needs to build and test, only those that are missing.
# Needs root (or sudo) when something is missing; does nothing otherwise.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libboost-dev              # Boost.DLL (header-only, on std::filesystem)
  libdnnl-dev               # oneDNN 2.6: convolutions and matrix products of the nn engine
  ocl-icd-opencl-dev        # OpenCL, which Debian's oneDNN CMake package asks for (its GPU runtime)
  libhdf5-dev zlib1g-dev    # HDF5 and .npz data files
  libeigen3-dev             # Eigen 3.4: the Bragg task's pseudo-Voigt least-squares fit
  libtomlplusplus-dev       # TOML++ 3.3: experiment files
  nlohmann-json3-dev        # JSON Lines results, saved state, model descriptions
  libcli11-dev              # the nac command line
  doctest-dev               # tests
  libbenchmark-dev          # Google Benchmark suites
  clang-format              # the style check of the tests (.clang-format)
  clang libclang-rt-14-dev  # libFuzzer and its sanitizers: the asan preset (tests, scripts/fuzz.sh)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
