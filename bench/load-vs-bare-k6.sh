#!/usr/bin/env bash
# k6 under Gauntlet (live 1 s windows into the journal, from k6's stock experimental-prometheus-rw
# output pushed to Gauntlet's receiver) vs bare k6, same script, same nginx on loopback, alternating
# A/B rounds. Prints each round, the Gauntlet/bare throughput ratio, CPU per 1k requests and how
# late each second's window was journaled.
# Optional CHANNELS=1 also measures k6's own throughput with each stock output on its own.
#   bench/load-vs-bare-k6.sh            (ROUNDS=3 VUS=32 DURATION=15s; PORT=a free loopback port)
#   ROUNDS=0 CHANNELS=1 CHANNEL_ROUNDS=3 bench/load-vs-bare-k6.sh   (only the channel comparison)
# k6 is whatever Gauntlet would run: GAUNTLET_K6, else the cache (scripts/tools/install-k6.sh).
set -eu
cd "$(dirname "$0")/.."
. scripts/tools/lib.sh
apt_install nginx
ROUNDS="${ROUNDS:-3}" VUS="${VUS:-32}" DURATION="${DURATION:-15s}"
K6="${GAUNTLET_K6:-$GAUNTLET_BIN/k6}"
NODE="node_modules/.bin/node"
[ -x "$K6" ] || { log "no k6 at $K6: run scripts/tools/install-k6.sh"; exit 3; }
secs="${DURATION%s}"
# A port nobody listens on, so that the load never lands on someone else's server.
PORT="${PORT:-$("$NODE" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")}"

work="$(mktemp -d)"
sed "s#@PORT@#$PORT#g; s#@WORK@#$work#g" bench/nginx.conf > "$work/nginx.conf"
nginx -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!
trap 'kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done
kill -0 "$nginx_pid" 2>/dev/null || { log "nginx did not start on 127.0.0.1:$PORT"; exit 3; }
export TARGET_URL="http://127.0.0.1:$PORT/" VUS DURATION K6_NO_USAGE_REPORT=true GAUNTLET_K6="$K6"

echo "date: $(date -u +%FT%TZ)"
echo "uname: $(uname -a)"
echo "nproc: $(nproc)  k6: $("$K6" version | head -1)"
echo "script: bench/k6-max.ts  vus=$VUS duration=$DURATION target=$TARGET_URL"
echo

bare_rps() { # bare k6; requests/s from k6's own summary
  /usr/bin/time -f '%e s wall %U s user %S s sys %M KB' -o "$work/time" \
    "$K6" run --quiet --no-color --address '' --summary-export "$work/sum.json" "$@" bench/k6-max.ts > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
  "$NODE" -e "const s=require('$work/sum.json');const n=s.metrics.http_reqs.count;console.log((n/$secs).toFixed(0)+' req/s, '+cpu(n)+' CPU ms/1k req')
    function cpu(n){const [,u,sy]=/([\\d.]+) s user ([\\d.]+) s sys/.exec(require('fs').readFileSync('$work/time','utf8'));return ((+u + +sy)*1e6/n).toFixed(0)}"
}

gauntlet_rps() { # k6 under Gauntlet; requests/s and window lag from the run journal
  rm -rf "$work/runs"
  /usr/bin/time -f '%e s wall %U s user %S s sys %M KB' -o "$work/time" \
    "$NODE" cli/main.ts load run bench/k6-max.ts -o json --report-dir "$work/runs" > "$work/g.json" 2> "$work/err" || { tail -5 "$work/err" >&2; exit 1; }
  "$NODE" -e "
    const fs=require('fs');const r=JSON.parse(fs.readFileSync('$work/g.json','utf8'));
    const ev=fs.readFileSync(r.runDir+'/journal.ndjson','utf8').trim().split('\n').map(JSON.parse);
    const w=ev.filter(e=>e.type==='window');const n=w.reduce((a,e)=>a+e.requests,0);
    const lags=w.map(e=>e.t-e.end).sort((a,b)=>a-b);const med=lags[Math.floor(lags.length/2)];
    const tot=ev.find(e=>e.type==='mark'&&e.label==='k6 totals');const mism=tot&&tot.data.mismatch?' MISMATCH '+JSON.stringify(tot.data.mismatch):', totals = k6 summary';
    const [,u,sy]=/([\\d.]+) s user ([\\d.]+) s sys/.exec(fs.readFileSync('$work/time','utf8'));
    console.log((n/$secs).toFixed(0)+' req/s, '+((+u + +sy)*1e6/n).toFixed(0)+' CPU ms/1k req (k6+node), windows='+w.length+', window lag median '+med.toFixed(0)+' ms max '+lags.at(-1).toFixed(0)+' ms'+mism);"
}

ratios=""
for i in $(seq "$ROUNDS"); do
  b="$(bare_rps)"; bt="$(cat "$work/time")"
  g="$(gauntlet_rps)"; gt="$(cat "$work/time")"
  r="$("$NODE" -e "console.log((${g%% *}/${b%% *}).toFixed(3))")"
  ratios="$ratios $r"
  echo "round $i: bare k6 $b ($bt) | gauntlet $g ($gt) | ratio $r"
done
[ -z "$ratios" ] || echo "gauntlet/bare throughput ratios:$ratios"

if [ "${CHANNELS:-0}" = 1 ]; then
  echo
  echo "k6 throughput by stock output (bare k6, no Gauntlet; remote-write pushed to nginx answering 204):"
  rw="K6_PROMETHEUS_RW_SERVER_URL=http://127.0.0.1:$PORT/api/v1/write K6_PROMETHEUS_RW_PUSH_INTERVAL=250ms K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM=true K6_PROMETHEUS_RW_STALE_MARKERS=true K6_SYSTEM_TAGS=scenario,status,error_code,expected_response"
  for i in $(seq "${CHANNEL_ROUNDS:-$ROUNDS}"); do
    echo "round $i:"
    echo "  none:                        $(bare_rps)"
    echo "  experimental-prometheus-rw:  $(export $rw; bare_rps --out experimental-prometheus-rw)"
    echo "  json (to /dev/null):         $(bare_rps --out json=/dev/null)"
  done
fi
