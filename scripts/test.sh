#!/usr/bin/env bash
# Install the build dependencies, build, and run the whole test suite.
#
#   bash scripts/test.sh            # Release build in build/, then the hardened
#                                   # build in build-hardened/ (clang, ASan+UBSan,
#                                   # libFuzzer: corpus replay + a bounded fuzz run;
#                                   # AVX-512 emulated where the CPU lacks it)
#   bash scripts/test.sh --quick    # only the Release build
#   bash scripts/test.sh --hardened # only the hardened build
#   IMP_FUZZ_SECONDS=60 bash scripts/test.sh   # fuzz longer (default 20 s a target)
#
# Tests that need ../shared/models skip when it is absent.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

release=1
hardened=1
for arg in "$@"; do
  case $arg in
    --quick) hardened=0 ;;
    --hardened) release=0 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) imp_die "unknown argument '$arg' (see: bash scripts/test.sh --help)" ;;
  esac
done

# run_suite DIR LABEL: ctest there; its summary line ends the output.
run_suite() {
  imp_log "testing $2 ($1)"
  (cd "$1" && ctest --output-on-failure -j "${IMP_TEST_JOBS:-2}")
}

imp_install_build_deps
imp_install_video_deps
imp_install_conformance_deps
imp_install_onnx_check_deps
imp_install_stylize_deps
imp_apt_install imagemagick # test_gallery's thumbnails
status=0
if [ $release = 1 ]; then
  imp_build "$IMP_ROOT/build"
  run_suite "$IMP_ROOT/build" "the Release build" || status=1
fi
if [ $hardened = 1 ]; then
  # clang with ASan+UBSan over the whole suite, plus the libFuzzer targets:
  # each replays its corpus and fuzzes for IMP_FUZZ_SECONDS. Optimised but
  # with frame pointers and debug info: readable reports, tolerable speed.
  # On a CPU without AVX-512 the AVX-512 kernels are emulated here
  # (src/kernels/avx512_emulation.h), so that every ISA's kernels run
  # under the sanitizers wherever the suite runs.
  imp_apt_install clang libclang-rt-14-dev
  emulate=OFF
  grep -qw avx512f /proc/cpuinfo 2>/dev/null || emulate=ON
  imp_build "$IMP_ROOT/build-hardened" -DCMAKE_C_COMPILER=clang \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMP_SANITIZE=ON -DIMP_FUZZ=ON \
    -DIMP_EMULATE_AVX512="${IMP_EMULATE_AVX512:-$emulate}" \
    -DIMP_FUZZ_SECONDS="${IMP_FUZZ_SECONDS:-20}"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    run_suite "$IMP_ROOT/build-hardened" "the hardened build (ASan+UBSan, fuzzing)" ||
    status=1
fi
exit $status
