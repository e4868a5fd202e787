#!/usr/bin/env bash
# bench/both.sh SPEED_BIN SIZE_BIN [bench options] - the speed build and the size build
# (tuning.hpp) in one run: for each workload, the speed build's bench then the size
# build's, one process each (the two libraries define the same C symbols, so they cannot
# share one), so that both see the machine in the same state. Prints each workload's two
# rows and the size build's median over the speed build's. Bench options (--reps N,
# --only W1,W3, ...) go to every run.
set -u
speed=${1:?usage: both.sh SPEED_BIN SIZE_BIN [bench options]}
size=${2:?usage: both.sh SPEED_BIN SIZE_BIN [bench options]}
shift 2

only=
args=()
while [ $# -gt 0 ]; do
    if [ "$1" = --only ] && [ $# -gt 1 ]; then
        only=$2
        shift 2
    else
        args+=("$1")
        shift
    fi
done

status=0
header=
rows=
while read -r id name units unit; do
    if [ -n "$only" ] && ! printf ',%s,' "$only" | grep -q ",$id,"; then
        continue
    fi
    for build in speed size; do
        bin=$speed
        [ $build = size ] && bin=$size
        out=$("$bin" "${args[@]}" --only "$id" 2>&1) || status=1
        if [ -z "$header" ]; then
            header=$(printf '%s\n' "$out" | sed -n '1,/^workload/p' | sed '$d')
            printf '%s\n' "$header"
            echo "builds:   speed (the host library, -O2) and size (build/host-size, -Os), one process each, in turn"
            echo
            printf '%-20s %-6s %6s %12s %12s %10s\n' workload per build median min "size/speed"
        fi
        row=$(printf '%s\n' "$out" | awk -v id="$id" '$1 == id { print; exit }')
        if [ -z "$row" ]; then
            printf '%s\n' "$out" | grep -E 'FAILED|CRASHED|WARNING' | sed "s/^/    [$build] /"
            status=1
            continue
        fi
        median=$(echo "$row" | awk '{ print $4 }')
        min=$(echo "$row" | awk '{ print $5 }')
        if [ $build = speed ]; then
            speed_median=$median
            printf '%-20s %-6s %6s %12s %12s\n' "$id $name" "$unit" speed "$median" "$min"
        else
            ratio=$(awk -v a="$median" -v b="$speed_median" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
            printf '%-20s %-6s %6s %12s %12s %10s\n' "" "" size "$median" "$min" "$ratio"
        fi
    done
done < <("$speed" --list)
echo
echo "per: ns per entry written or visited, or per call (W3, W4); the medians of each build's own repetitions."
exit $status
