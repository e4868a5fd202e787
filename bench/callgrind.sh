#!/usr/bin/env bash
# bench/callgrind.sh BENCH_BIN OUTDIR [bench options] - instructions per entry (or call)
# of W1-W7. Bench options (e.g. --zero-pages) go to every run.
#
# One valgrind --tool=callgrind process per workload: `BENCH_BIN --callgrind --only Wn`
# runs that workload once (setup untimed, no warm-up, no repetitions), and callgrind
# collects only inside bench_work_wn (--collect-atstart=no --toggle-collect), so the
# count is the workload's own calls, the library and the bench's callbacks, nothing else.
# The total comes from the "totals:"/"summary:" line of the callgrind out file.
set -u
bin=${1:?usage: callgrind.sh BENCH_BIN OUTDIR}
out=${2:?usage: callgrind.sh BENCH_BIN OUTDIR}

if ! command -v valgrind >/dev/null 2>&1; then
    echo "bench-callgrind: valgrind is not installed, so there are no instruction counts." >&2
    echo "bench-callgrind: install it (Debian: apt-get install valgrind) and run make bench-callgrind again." >&2
    exit 2
fi
shift 2
mkdir -p "$out" || exit 2

model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)
echo "machine:  ${model:-unknown}, $(uname -srm)"
echo "compiler: ${IDMAP_BENCH_LIB_CXX:-unknown} (library); $(valgrind --version)"
if [ -n "${IDMAP_BENCH_LIB_STAMP:-}" ] && [ -r "$IDMAP_BENCH_LIB_STAMP" ]; then
    echo "library:  $(head -n1 "$IDMAP_BENCH_LIB_STAMP")"
fi
echo "method:   each workload once under callgrind, instructions inside bench_work_wN only"
echo
printf '%-17s %-6s %10s %14s %12s\n' workload per units instructions "instr/unit"

status=0
while read -r id name units unit; do
    lower=$(echo "$id" | tr 'A-Z' 'a-z')
    file="$out/callgrind.$id.out"
    log="$out/callgrind.$id.log"
    rm -f "$file"
    if ! valgrind --tool=callgrind --callgrind-out-file="$file" --collect-atstart=no \
            --toggle-collect="bench_work_${lower}*" "$bin" "$@" --callgrind --only "$id" >"$log" 2>&1; then
        printf '%-17s FAILED under callgrind (log: %s):\n' "$id $name" "$log"
        grep -E 'FAILED|WARNING|CRASHED' "$log" | sed 's/^/    /'
        status=1
        continue
    fi
    grep -E 'WARNING' "$log" | sed 's/^/    /'
    ir=$(awk '/^(totals|summary):/ { v = $2 } END { print v }' "$file")
    if [ -z "$ir" ] || [ "$ir" = 0 ]; then
        printf '%-17s no instructions counted in bench_work_%s (see %s)\n' "$id $name" "$lower" "$file"
        status=1
        continue
    fi
    awk -v n="$id $name" -v u="$unit" -v units="$units" -v ir="$ir" \
        'BEGIN { printf "%-17s %-6s %10d %14d %12.1f\n", n, u, units, ir, ir / units }'
done < <("$bin" --list)
echo
echo "out files: $out/callgrind.Wn.out (callgrind_annotate them for the functions)"
exit $status
