#!/usr/bin/env bash
# Install the build dependencies, build, and run the whole test suite.
#
#   bash scripts/test.sh              # Release build in build/, then ctest
#   bash scripts/test.sh --sanitize   # also build-asan/ with ASan+UBSan
#   IMP_SANITIZE=1 bash scripts/test.sh        # the same
#   IMP_SANITIZE=only bash scripts/test.sh     # only the sanitizer suite
#
# Tests that need ../shared/models skip when it is absent.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sanitize=${IMP_SANITIZE:-0}
for arg in "$@"; do
  case $arg in
    --sanitize|--asan) sanitize=1 ;;
    --sanitize-only|--asan-only) sanitize=only ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) imp_die "unknown argument '$arg' (see: bash scripts/test.sh --help)" ;;
  esac
done

# run_suite DIR LABEL: ctest there; its summary line ends the output.
run_suite() {
  imp_log "testing $2 ($1)"
  (cd "$1" && ctest --output-on-failure -j "${IMP_TEST_JOBS:-2}")
}

imp_install_build_deps
status=0
if [ "$sanitize" != only ]; then
  imp_build "$IMP_ROOT/build"
  run_suite "$IMP_ROOT/build" "the Release build" || status=1
fi
if [ "$sanitize" != 0 ]; then
  # Optimised but with frame pointers and debug info: readable reports,
  # tolerable speed.
  imp_build "$IMP_ROOT/build-asan" -DIMP_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    run_suite "$IMP_ROOT/build-asan" "under ASan+UBSan" || status=1
fi
exit $status
