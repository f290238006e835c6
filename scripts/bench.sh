#!/usr/bin/env bash
# End-to-end benchmark of glarc against zstd and ripgrep on the same file.
#
#   scripts/bench.sh [MODE] [SIZE]
#
#   MODE  all (default): generate, import, compress, query
#         import: generate, import and compress only
#         query:  query only, reusing the archive of an earlier run of the
#                 same corpus (rebuilds glarc, so you can iterate on queries)
#   SIZE  corpus size, default 1GB (e.g. 200MB, 64MiB)
#
# Environment:
#   BENCH_DIR    work directory (default /tmp/glarc-bench); the corpus is
#                cached there per size, seed, format and generator version
#   RUNS         timed runs per query (default 5; the median is printed)
#   IMPORT_RUNS  timed runs of import and zstd (default 3)
#   BUDGET       seconds one measurement may take over all its runs before it
#                stops repeating (default 120; at least one run always counts)
#   SEED FORMAT  passed to gencorpus (default 1, rfc3164)
#   CMD_TIMEOUT  seconds before a single command is killed (default 900)
#   REV          build glarc from this git revision (e.g. HEAD, a tag, a
#                commit) instead of the work tree: compares versions, and
#                works while someone's uncommitted change breaks the build
#   GLARC        use this glarc binary instead of building one
#   RG           the rg command line the queries are timed against (default
#                "rg --no-mmap": rg maps a single file by default, which on
#                the 2-core benchmark VM took 0.43 s for a cached gigabyte
#                instead of 0.20 s with reads; the faster peer is the fair one)
#   SCAN         1 (default): also time each query with --no-index (a full
#                scan), and import with --no-index plus `glarc index --rebuild`
#                to split import time into ingest and indexing; 0 skips them
#
# Every run also checks that glarc's counts equal the needle table that
# gencorpus wrote and rg's counts on the raw file; it exits 1 on a mismatch.
# Wall times are medians; "cpu" is user+sys (a better figure than wall on a
# busy machine). Figures are only comparable within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

MODE=all
case "${1:-}" in
all | import | query)
	MODE=$1
	shift
	;;
-h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
	exit 0
	;;
esac
SIZE=${1:-${SIZE:-1GB}}
DIR=${BENCH_DIR:-/tmp/glarc-bench}
RUNS=${RUNS:-5}
IMPORT_RUNS=${IMPORT_RUNS:-3}
BUDGET=${BUDGET:-120}
SEED=${SEED:-1}
FORMAT=${FORMAT:-rfc3164}
CMD_TIMEOUT=${CMD_TIMEOUT:-900}
SCAN=${SCAN:-1}

log() { printf '%s\n' "$*" >&2; }
die() {
	log "bench: $*"
	exit 1
}

# --- tools -------------------------------------------------------------------
need=()
command -v rg >/dev/null 2>&1 || need+=(ripgrep)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
[ -x /usr/bin/time ] || need+=(time)
command -v timeout >/dev/null 2>&1 || need+=(coreutils)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		log "bench: installing ${need[*]}"
		apt-get update -qq >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
	else
		die "missing ${need[*]}: install them (Debian: apt-get install ${need[*]})"
	fi
fi
command -v go >/dev/null 2>&1 || die "go is not on PATH"

mkdir -p "$DIR"
log "bench: building gencorpus into $DIR"
go build -o "$DIR/gencorpus" ./scripts/gencorpus
if [ -n "${GLARC:-}" ]; then
	cp "$GLARC" "$DIR/glarc"
elif [ -n "${REV:-}" ]; then
	rev=$(git rev-parse --verify "$REV^{commit}") || die "REV=$REV is not a commit"
	log "bench: building glarc at $REV ($rev) into $DIR"
	rm -rf "$DIR/src"
	mkdir -p "$DIR/src"
	git archive "$rev" | tar -x -C "$DIR/src"
	(cd "$DIR/src" && CGO_ENABLED=0 go build -o "$DIR/glarc" ./cmd/glarc)
else
	log "bench: building glarc from the work tree into $DIR"
	CGO_ENABLED=0 go build -o "$DIR/glarc" ./cmd/glarc || die "glarc does not build (try REV=HEAD to build the last commit)"
fi

# --- corpus ------------------------------------------------------------------
genver=$(find scripts/gencorpus -name "*.go" ! -name "*_test.go" | sort | xargs cat | sha1sum | cut -c1-8)
tag="$SIZE-s$SEED-$FORMAT-$genver"
CORPUS="$DIR/corpus-$tag.log"
NEEDLES="$DIR/needles-$tag.tsv"
if [ ! -s "$CORPUS" ] || [ ! -s "$NEEDLES" ]; then
	rm -f "$DIR"/corpus-*.log "$DIR"/needles-*.tsv "$DIR"/corpus-*.log.zst # one cached corpus at a time
	log "bench: generating $CORPUS"
	"$DIR/gencorpus" -size "$SIZE" -seed "$SEED" -format "$FORMAT" -o "$CORPUS.tmp" -needles "$NEEDLES"
	mv "$CORPUS.tmp" "$CORPUS"
fi
RAW=$(stat -c %s "$CORPUS")
LINES=$(awk -F'\t' '$1=="lines"{print $2}' "$NEEDLES")
DATA="$DIR/data"
STAMP="$DATA.corpus" # which corpus $DATA holds

# --- measuring ---------------------------------------------------------------
# measure NAME RUNS CMD...: runs CMD (its stdout goes to $DIR/out.NAME) RUNS
# times or until BUDGET seconds have passed, and sets WALL, CPU (medians,
# seconds) and RSS (max, MB). A setup command can be given in PRE (a shell
# string run before each run, not timed).
median() { sort -g | awk '{a[NR]=$1} END{if(NR==0){print "nan"} else if(NR%2){print a[(NR+1)/2]} else {printf "%.3f\n",(a[NR/2]+a[NR/2+1])/2}}'; }
measure() {
	local name=$1 runs=$2
	shift 2
	local walls=() cpus=() rss=0 spent=0 i
	for ((i = 1; i <= runs; i++)); do
		[ -n "${PRE:-}" ] && bash -c "$PRE"
		local tf="$DIR/time.$name"
		set +e
		timeout "$CMD_TIMEOUT" /usr/bin/time -v -o "$tf" "$@" >"$DIR/out.$name" 2>"$DIR/err.$name"
		local rc=$?
		set -e
		# rg -c exits 1 when nothing matches; anything else is a failure.
		if [ $rc -ne 0 ] && ! { [ $rc -eq 1 ] && [ "$1" = rg -o "$1" = bash ]; }; then
			log "bench: $name failed (exit $rc): $*"
			cat "$DIR/err.$name" >&2
			exit 1
		fi
		local w c m
		w=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(j=1;j<=n;j++) s=s*60+a[j]; print s}' "$tf")
		c=$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{print u+s}' "$tf")
		m=$(awk -F': ' '/Maximum resident set size/{print $2}' "$tf")
		walls+=("$w")
		cpus+=("$c")
		((m > rss)) && rss=$m
		spent=$(awk -v a="$spent" -v b="$w" 'BEGIN{print a+b}')
		if awk -v s="$spent" -v b="$BUDGET" 'BEGIN{exit !(s > b)}'; then
			break
		fi
	done
	WALL=$(printf '%s\n' "${walls[@]}" | median)
	CPU=$(printf '%s\n' "${cpus[@]}" | median)
	RSS=$((rss / 1024))
	NRUNS=${#walls[@]}
}
mbps() { awk -v b="$1" -v s="$2" 'BEGIN{if(s>0) printf "%.1f", b/s/1e6; else print "inf"}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if(b>0) printf "%.2f", a/b; else print "-"}'; }

load=$(cut -d' ' -f1 /proc/loadavg)
printf 'glarc bench: %s corpus, %d bytes, %s lines (%s, seed %s), %s CPUs, load %s at start\n' \
	"$SIZE" "$RAW" "$LINES" "$FORMAT" "$SEED" "$(nproc)" "$load"
if awk -v l="$load" -v n="$(nproc)" 'BEGIN{exit !(l > n)}'; then
	printf 'warning: the machine is busy (load %s > %s CPUs): trust cpu seconds over wall seconds\n' "$load" "$(nproc)"
fi

# --- import and compress ------------------------------------------------------
if [ "$MODE" != query ]; then
	if [ "$SCAN" = 1 ]; then
		PRE="rm -rf '$DATA' '$STAMP'" measure import-noindex "$IMPORT_RUNS" "$DIR/glarc" import --quiet --no-index --data "$DATA" "$CORPUS"
		nw=$WALL nc=$CPU nr=$RSS nn=$NRUNS
		PRE="" measure index "$IMPORT_RUNS" "$DIR/glarc" index --rebuild --data "$DATA"
		xw=$WALL xc=$CPU xr=$RSS xn=$NRUNS
	fi
	PRE="rm -rf '$DATA' '$STAMP'" measure import "$IMPORT_RUNS" "$DIR/glarc" import --quiet --data "$DATA" "$CORPUS"
	iw=$WALL ic=$CPU ir=$RSS in=$NRUNS
	echo "$CORPUS" >"$STAMP"
	PRE="" measure zstd "$IMPORT_RUNS" zstd -q -3 -T2 -k -f "$CORPUS" -o "$CORPUS.zst"
	zw=$WALL zc=$CPU zr=$RSS zn=$NRUNS
	DU=$(du -sb "$DATA" | cut -f1)
	ZST=$(stat -c %s "$CORPUS.zst")
	# total line of `glarc chunks`: "N chunks RECORDS RAW STORED RATIO"
	STORED=$("$DIR/glarc" chunks --data "$DATA" | awk '$2=="chunks"{print $5}')
	CHRECS=$("$DIR/glarc" chunks --data "$DATA" | awk '$2=="chunks"{print $3}')
	STORED=${STORED:-0}

	echo
	printf '%-22s %8s %8s %9s %10s %5s\n' ingest "wall s" "cpu s" "MB/s" "peak RSS" runs
	printf '%-22s %8s %8s %9s %7s MB %5s\n' "glarc import" "$iw" "$ic" "$(mbps "$RAW" "$iw")" "$ir" "$in"
	if [ "$SCAN" = 1 ]; then
		printf '%-22s %8s %8s %9s %7s MB %5s\n' "  import --no-index" "$nw" "$nc" "$(mbps "$RAW" "$nw")" "$nr" "$nn"
		printf '%-22s %8s %8s %9s %7s MB %5s\n' "  index --rebuild" "$xw" "$xc" "$(mbps "$RAW" "$xw")" "$xr" "$xn"
	fi
	printf '%-22s %8s %8s %9s %7s MB %5s\n' "zstd -3 -T2" "$zw" "$zc" "$(mbps "$RAW" "$zw")" "$zr" "$zn"
	printf '%-22s %8s %8s\n' "glarc / zstd" "$(ratio "$iw" "$zw")x" "$(ratio "$ic" "$zc")x"
	echo
	printf '%-22s %14s %9s\n' size bytes "of raw"
	printf '%-22s %14d %9s\n' "corpus.log" "$RAW" 1.000
	printf '%-22s %14d %9s\n' "glarc data (du -sb)" "$DU" "$(awk -v a="$DU" -v b="$RAW" 'BEGIN{printf "%.3f", a/b}')"
	printf '%-22s %14d %9s\n' "glarc chunks stored" "$STORED" "$(awk -v a="$STORED" -v b="$RAW" 'BEGIN{printf "%.3f", a/b}')"
	printf '%-22s %14d %9s\n' "corpus.log.zst (-3)" "$ZST" "$(awk -v a="$ZST" -v b="$RAW" 'BEGIN{printf "%.3f", a/b}')"
	for f in chunk.dat token.idx kv.idx attr.idx blocks.flt; do
		n=$(find "$DATA" -name "$f" -type f -printf '%s\n' | awk '{s+=$1} END{print s+0}')
		if [ "$n" -gt 0 ]; then
			printf '%-22s %14d %9s\n' "  $f" "$n" "$(awk -v a="$n" -v b="$RAW" 'BEGIN{printf "%.3f", a/b}')"
		fi
	done
	printf '%-22s %14s %9s\n' "glarc data / zst" "" "$(ratio "$DU" "$ZST")x"
	printf '%-22s %14s %9s\n' "glarc stored / zst" "" "$(ratio "$STORED" "$ZST")x"
	if [ "${CHRECS:-}" != "$LINES" ]; then
		printf 'MISMATCH: glarc chunks says %s records, the corpus has %s lines\n' "${CHRECS:-?}" "$LINES"
		bad=1
	fi
	[ "$MODE" = import ] && exit "${bad:-0}"
fi

# --- queries -------------------------------------------------------------------
[ -d "$DATA" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$CORPUS" ] ||
	die "no archive of $CORPUS in $DATA: run 'scripts/bench.sh import $SIZE' first"

expect() { awk -F'\t' -v n="$1" '$1==n{print $2}' "$NEEDLES"; }
ip=$(awk -F'\t' '$1=="ip"{print $3}' "$NEEDLES")
# name | glarc query | rg command (a shell string over "$CORPUS"; $RG is
# the rg that reads the corpus)
RG=${RG:-rg --no-mmap}
queries=(
	"needle|xyzzy-needle|$RG -c -w xyzzy-needle \"\$CORPUS\""
	"error|error|$RG -c -w -i error \"\$CORPUS\""
	"ip|$ip|$RG -c -F $ip \"\$CORPUS\""
	"web1_error|host=web1 error|$RG -w -i error \"\$CORPUS\" | rg -c ' web1 '"
	"kv|user=plover|$RG -c -w -F user=plover \"\$CORPUS\""
	"phrase|\"quota exceeded for volume plugh\"|$RG -c -i -F 'quota exceeded for volume plugh' \"\$CORPUS\""
)
echo
printf '%-11s %-34s %8s %8s %8s | %8s %8s %8s | %9s %8s %8s | %9s | %8s %8s\n' query "glarc query" expected glarc rg \
	"glarc s" "rg s" "wall x" "glarc cpu" "rg cpu" "cpu x" "glarc RSS" "scan s" "scan x"
export CORPUS
for q in "${queries[@]}"; do
	IFS='|' read -r name gq rgcmd <<<"$q"
	exp=$(expect "$name")
	PRE="" measure "q-$name" "$RUNS" "$DIR/glarc" query --data "$DATA" --count "$gq"
	gw=$WALL gc=$CPU gr=$RSS
	gcount=$(tr -d '[:space:]' <"$DIR/out.q-$name")
	PRE="" measure "rg-$name" "$RUNS" bash -c "$rgcmd"
	rw=$WALL rc=$CPU
	sw=- sx=-
	if [ "$SCAN" = 1 ]; then
		PRE="" measure "scan-$name" "$RUNS" "$DIR/glarc" query --no-index --data "$DATA" --count "$gq"
		sw=$WALL
		sx="$(ratio "$sw" "$rw")x"
		scount=$(tr -d '[:space:]' <"$DIR/out.scan-$name")
		[ "$scount" = "$exp" ] || gcount="$gcount/scan:$scount"
	fi
	rcount=$(tr -d '[:space:]' <"$DIR/out.rg-$name")
	rcount=${rcount:-0}
	status=""
	if [ "$gcount" != "$exp" ] || [ "$rcount" != "$exp" ]; then
		status="  MISMATCH"
		bad=1
	fi
	printf '%-11s %-34s %8s %8s %8s | %8s %8s %8s | %9s %8s %8s | %6s MB | %8s %8s%s\n' "$name" "$gq" "$exp" "$gcount" "$rcount" \
		"$gw" "$rw" "$(ratio "$gw" "$rw")x" "$gc" "$rc" "$(ratio "$gc" "$rc")x" "$gr" "$sw" "$sx" "$status"
done
if [ -n "${bad:-}" ]; then
	echo "bench: count mismatches (see above); outputs and errors are in $DIR/out.* and $DIR/err.*"
	exit 1
fi
