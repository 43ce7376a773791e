#!/usr/bin/env bash
# Runs training-runner/Dockerfile's steps on the host, where there is no Docker: COPY into a temporary
# directory (the image's WORKDIR), every RUN there with the Dockerfile's ENV, then the CMD with the given
# environment until /health answers, and SIGTERM, which must exit 0. USER and FROM cannot be replayed; the
# host's Node must be 20 like the base image.
#
#   DATABASE_URL=postgres://... training-runner/ci-dockerfile-check.sh
#
# DATABASE_URL must name a migrated database (the runner claims from it; no job is queued by this script).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dockerfile="$repo/training-runner/Dockerfile"
: "${DATABASE_URL:?DATABASE_URL must name a migrated database}"
work="$(mktemp -d)"
runner_pid=""
cleanup() {
  if [ -n "$runner_pid" ] && kill -0 "$runner_pid" 2>/dev/null; then kill -9 "$runner_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

node_major="$(node -p 'process.versions.node.split(".")[0]')"
grep -q '^FROM node:20' "$dockerfile" || { echo "the Dockerfile's base is not node:20" >&2; exit 1; }
[ "$node_major" = "20" ] || echo "warning: host Node is $node_major, the image's is 20" >&2

# One instruction per line: join backslash continuations, drop comments.
instructions="$(sed -e 's/^[[:space:]]*#.*$//' "$dockerfile" | awk '{ if (sub(/\\$/, "")) { printf "%s", $0 } else { print } }' | grep -v '^[[:space:]]*$')"

declare -a env_args=()
cmd_json=""
while IFS= read -r line; do
  op="${line%% *}"
  rest="${line#* }"
  case "$op" in
    FROM | WORKDIR | USER | EXPOSE | HEALTHCHECK) ;;
    ENV)
      # KEY=value pairs, the only form used here.
      for pair in $rest; do env_args+=("$pair"); done
      ;;
    COPY)
      read -r -a parts <<<"$rest"
      dest="${parts[${#parts[@]} - 1]}"
      unset 'parts[${#parts[@]}-1]'
      for src in "${parts[@]}"; do
        if [ -d "$repo/$src" ]; then
          mkdir -p "$work/$dest"
          (cd "$repo/$src" && tar --exclude='node_modules' --exclude='*.test.ts' -cf - .) | (cd "$work/$dest" && tar -xf -)
        else
          mkdir -p "$work/$(dirname "$dest/x")"
          cp "$repo/$src" "$work/$dest"
        fi
      done
      ;;
    RUN)
      echo "== RUN $rest"
      (cd "$work" && env "${env_args[@]}" bash -euo pipefail -c "$rest")
      ;;
    CMD) cmd_json="$rest" ;;
    *)
      echo "unhandled Dockerfile instruction: $op" >&2
      exit 1
      ;;
  esac
done <<<"$instructions"

[ -n "$cmd_json" ] || { echo "the Dockerfile has no CMD" >&2; exit 1; }
# tsx must be installed without dev dependencies (bin/synth.mjs imports it at run time).
[ -d "$work/node_modules/tsx" ] || { echo "tsx is missing after npm ci --omit=dev" >&2; exit 1; }
[ ! -d "$work/node_modules/vitest" ] || { echo "dev dependencies were installed" >&2; exit 1; }

mapfile -t cmd < <(node -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$cmd_json")
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
echo "== CMD ${cmd[*]} (port $port)"
(
  cd "$work"
  exec env "${env_args[@]}" RUNNER_HOST=127.0.0.1 RUNNER_PORT="$port" RUNNER_ID="ci-dockerfile-check" \
    DATABASE_URL="$DATABASE_URL" SUPABASE_URL="${SUPABASE_URL:-http://127.0.0.1:9}" \
    SUPABASE_SERVICE_ROLE_KEY="${SUPABASE_SERVICE_ROLE_KEY:-ci-placeholder-key}" RUNNER_KINDS="${RUNNER_KINDS:-generation}" \
    "${cmd[@]}"
) >"$work/runner.log" 2>&1 &
runner_pid=$!

healthy=""
for _ in $(seq 1 60); do
  if body="$(curl -fsS "http://127.0.0.1:$port/health" 2>/dev/null)"; then healthy="$body"; break; fi
  kill -0 "$runner_pid" 2>/dev/null || break
  sleep 1
done
if [ -z "$healthy" ]; then
  echo "the runner never became healthy:" >&2
  cat "$work/runner.log" >&2
  exit 1
fi
echo "health: $healthy"
curl -fsS "http://127.0.0.1:$port/metrics" | grep -q '^# TYPE synth_runner_jobs_claimed_total counter' || { echo "no metrics" >&2; exit 1; }

kill -TERM "$runner_pid"
status=0
wait "$runner_pid" || status=$?
runner_pid=""
if [ "$status" -ne 0 ]; then
  echo "the runner exited $status on SIGTERM:" >&2
  cat "$work/runner.log" >&2
  exit 1
fi
echo "ok: the Dockerfile's steps ran on the host; the runner served /health and exited 0 on SIGTERM"
