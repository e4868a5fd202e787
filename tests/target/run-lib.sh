# shellcheck shell=bash
# run-lib.sh - what the runners of the QEMU suites share; sourced, from the repository's
# root, by tests/target/run-matrix.sh, run-cxx.sh, run-guard.sh and run-stress.sh, and by
# tests/image/run-qemu.sh (board_machine, machine_model, summary_line).
#
# A configuration is one line "board|tag|qemu machine arguments|image": tag names the log
# (build/target-logs/<board>-<tag>-<toolchain>.log) and says what the run is (run_config);
# image is target-suite, regime-suite, cxx-suite, guard-suite or stress-suite.
#
# The caller sets timeout_s (seconds a boot may take). Kept here, over every build and
# run: total_pass, total_fail, total_skip, total_workaround (cases), failed_runs; finish
# reports them.

make_cmd=${MAKE:-make}
logs=build/target-logs
results=${IDMAP_TEST_RESULTS:-}
total_pass=0
total_fail=0
total_skip=0
total_workaround=0
failed_runs=()
mkdir -p "$logs"

# board_machine BOARD: the board's QEMU_MACHINE (boards/BOARD/board.mk); says so on
# stderr and fails if there is no such board.
board_machine() {
    if [ ! -f "boards/$1/board.mk" ]; then
        echo "${0##*/}: no board $1 (boards/$1/board.mk)" >&2
        return 2
    fi
    sed -n 's/^QEMU_MACHINE *:\{0,1\}= *//p' "boards/$1/board.mk"
}

# machine_model MACHINE: the model that QEMU arguments give with -M (virt, raspi3b, ...).
machine_model() {
    echo "$1" | sed -n 's/.*-M \([^ ,]*\).*/\1/p'
}

# A suite's summary (check.h): "N passed, M failed, K skipped", and ", W under an
# emulator workaround" where W is not 0; BASH_REMATCH[1], [2], [3], [5] after a match.
summary_re='^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped(, ([0-9]+) under an emulator workaround)?$'

# summary_line LOG: the last summary line of a run's log, or nothing.
summary_line() {
    tr -d '\r' < "$1" | grep -E "$summary_re" | tail -n 1
}

# summary_text PASSED FAILED SKIPPED WORKAROUNDS: the summary line of these counts.
summary_text() {
    echo "$1 passed, $2 failed, $3 skipped$([ "$4" -eq 0 ] || echo ", $4 under an emulator workaround")"
}

# record PASS|FAIL|SKIP|WORKAROUND NAME: one line of the results file of make test
# (IDMAP_TEST_RESULTS; tools/run_step.sh counts them).
record() {
    if [ -n "$results" ]; then echo "$1 $2" >> "$results"; fi
}

# build BOARD TOOLCHAIN LOG WHAT TARGET...: make TARGET... for the board with the
# toolchain (gcc or llvm), its output in LOG. A failure is shown (the errors, and
# "FAIL build WHATBOARD (TOOLCHAIN)"), counted and recorded, and the status is 1.
build() {
    local b=$1 tc=$2 log=$3 what=$4 llvm=
    shift 4
    [ "$tc" = llvm ] && llvm=1
    if ! $make_cmd BOARD="$b" LLVM=$llvm "$@" > "$log" 2>&1; then
        grep -E -A3 'error|Error|undefined' "$log" | head -n 30 | sed 's/^/    /'
        echo "FAIL build $what$b ($tc): see $log"
        total_fail=$((total_fail + 1))
        failed_runs+=("build $b ($tc)")
        record FAIL "target: build $what$b ($tc)"
        return 1
    fi
}

# image_elf BOARD TOOLCHAIN IMAGE: where make puts the image.
image_elf() {
    local dir
    dir=build/$1$([ "$2" = llvm ] && echo -llvm)
    case $3 in
    regime-suite) echo "$dir/tests/target-regime/regime-suite.elf" ;;
    cxx-suite) echo "$dir/tests/target-cxx/cxx-suite.elf" ;;
    guard-suite) echo "$dir/tests/target-guard/guard-suite.elf" ;;
    stress-suite) echo "$dir/tests/target-stress/stress-suite.elf" ;;
    *) echo "$dir/tests/target/target-suite.elf" ;;
    esac
}

# run_config BOARD TAG MACHINE IMAGE TOOLCHAIN: boots the image once. Its summary line
# counts (a run without it counts as one failure, as does a failing exit status with no
# failure counted); "PASS name: summary (seconds)" with the SKIP and WORKAROUND reasons
# of the regime, C++ and guard-rails suites (WORKAROUND in place of PASS when a case
# passed only under an emulator workaround, SKIP when every case was skipped), or
# "FAIL ..." with the lines that say what failed.
run_config() {
    local b=$1 tag=$2 machine=$3 image=$4 tc=$5
    local elf log rc t0 dt el what name summary p=0 f=1 k=0 w=0 outcome why
    elf=$(image_elf "$b" "$tc" "$image")
    log=$logs/$b-$tag-$tc.log
    t0=$(date +%s%N)
    tests/target/qemu-run.sh --timeout "$timeout_s" -- $machine -kernel "$elf" > "$log" 2>&1
    rc=$?
    dt=$(( ($(date +%s%N) - t0) / 1000000 ))
    dt=$(printf '%d.%02d' $((dt / 1000)) $((dt % 1000 / 10)))
    # "qemu-virt EL2 (gcc)": the EL the suite says it was entered at
    el=$(grep -o -m1 'entered at EL[0-3]' "$log" | sed 's/entered at //')
    case $tag in
    cpu-max) what=" -cpu max" ;;
    regime-*) what=" regimes$(echo " $machine" | grep -o ' -cpu [^ ]*')$(echo " $machine" | grep -o ' -smp [0-9]*')" ;;
    cxx*) what=" cxx-suite$(echo " $machine" | grep -o ' -cpu [^ ]*')" ;;
    guard*) what=" guard rails$(echo " $machine" | grep -o ' -cpu max')" ;;
    stress*) what=" stress$(echo " $machine" | grep -o ' -cpu [^ ]*')$(echo " $machine" | grep -o ' -smp [0-9]*')" ;;
    *) what= ;;
    esac
    name="$b ${el:-EL?}$what ($tc)"
    summary=$(summary_line "$log")
    if [[ $summary =~ $summary_re ]]; then
        p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} k=${BASH_REMATCH[3]} w=${BASH_REMATCH[5]:-0}
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    total_skip=$((total_skip + k))
    total_workaround=$((total_workaround + w))
    if [ "$rc" -eq 0 ] && [ "$f" -eq 0 ] && [ -n "$summary" ]; then
        outcome=PASS
        [ "$p" -eq 0 ] && [ "$k" -gt 0 ] && outcome=SKIP
        [ "$w" -gt 0 ] && outcome=WORKAROUND
        printf '%s %-46s %s (%ss)\n' "$outcome" "$name:" "$summary" "$dt"
        # what a run could not check here, or checked only with the test's help, said
        # where it is seen: each regime's, and the reasons of the C++ and guard-rails
        # suites once (they repeat per granule)
        case $image in
        regime-suite) tr -d '\r' < "$log" | grep -oE '# (SKIP|WORKAROUND) .*' | sed 's/^/    /' ;;
        cxx-suite | guard-suite) tr -d '\r' < "$log" | grep -oE '# (SKIP|WORKAROUND) .*' | sort -u | sed 's/^/    /' ;;
        esac
        # a run that passed with cases skipped says how many (make test's summary adds them)
        record "$outcome" "target: $name$([ "$k" -eq 0 ] || [ "$outcome" = SKIP ] || echo " [$k skipped]")"
    else
        why="exit status $rc"
        [ "$rc" -eq 124 ] && why="TIMEOUT after ${timeout_s}s"
        [ -z "$summary" ] && why="$why, no summary line"
        # a summary of no failures with a failing exit still fails the run
        [ -n "$summary" ] && [ "$f" -eq 0 ] && total_fail=$((total_fail + 1))
        printf 'FAIL %-46s %s (%s, %ss; log %s)\n' "$name:" "${summary:-?}" "$why" "$dt" "$log"
        grep -E '^not ok|^#   |unexpected exception|^x30|TIMEOUT|Bail out' "$log" | head -n 40 | sed 's/^/    /'
        if [ -z "$summary" ]; then
            echo "    ... last lines:"
            tail -n 5 "$log" | sed 's/^/    /'
        fi
        failed_runs+=("$name")
        record FAIL "target: $name"
    fi
}

# finish: the failed runs, then the summary line over every case counted; the status is
# 0 iff none failed.
finish() {
    if [ ${#failed_runs[@]} -gt 0 ]; then
        echo "failed runs: ${failed_runs[*]}"
    fi
    summary_text "$total_pass" "$total_fail" "$total_skip" "$total_workaround"
    [ "$total_fail" -eq 0 ]
}

# suite_main IMAGE [--configs] BOARD...: the whole of a runner of one suite (run-cxx.sh,
# run-guard.sh), which defines configs BOARD... (its configuration lines). With
# --configs, prints them; else builds IMAGE for each board with GNU and with LLVM, runs
# every configuration of the board with each, and finishes.
suite_main() {
    local image=$1 list tc b cb tag machine img
    shift
    if [ "${1-}" = --configs ]; then
        shift
        configs "$@"
        return
    fi
    if [ $# -eq 0 ]; then
        echo "usage: ${0##*/} [--configs] BOARD..." >&2
        return 2
    fi
    list=$(configs "$@") || return 2
    for tc in gcc llvm; do
        for b in "$@"; do
            build "$b" "$tc" "$logs/${image%-suite}-build-$b-$tc.log" "$image " "$image" || continue
            while IFS='|' read -r cb tag machine img; do
                [ "$cb" = "$b" ] || continue
                run_config "$b" "$tag" "$machine" "$img" "$tc"
            done <<< "$list"
        done
    done
    echo
    finish
}
