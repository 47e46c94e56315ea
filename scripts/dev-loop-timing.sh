#!/usr/bin/env bash
# Developer-loop timing (issue 17, goal 6): `npm ci` (which builds through `prepare`) and `npm test`, phase by phase.
#
#   scripts/dev-loop-timing.sh [clone-dir]
#
# Run it in a separate clone (`git clone <repo> /tmp/devloop-clone`): it deletes node_modules, dist and the turbo
# cache there. Prints one line per phase and writes the per-task durations (turbo's run summaries) and the
# per-file test durations to <clone-dir>/.devloop/. The load average is printed at the start and end: on a shared
# machine, compare only runs taken under the same load.
set -euo pipefail
dir=$(cd "${1:-.}" && pwd)
cd "$dir"
out="$dir/.devloop"
rm -rf "$out" && mkdir -p "$out"
export TURBO_TELEMETRY_DISABLED=1 FORCE_COLOR=0 CI=${CI:-true}

now() { date +%s.%N; }
phase() { # phase NAME COMMAND...: runs COMMAND, logs it to .devloop/NAME.log, prints the seconds it took
  local name=$1 start end
  shift
  start=$(now)
  "$@" >"$out/$name.log" 2>&1 || { echo "phase $name failed: see $out/$name.log" >&2; exit 1; }
  end=$(now)
  printf '%-28s %7.1f s\n' "$name" "$(echo "$end - $start" | bc)" | tee -a "$out/phases.txt"
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)" | tee "$out/phases.txt"
rm -rf node_modules packages/*/node_modules packages/*/dist .turbo packages/*/.turbo
# `npm ci` as CI runs it (install, then `prepare` = turbo build), then its two parts separately
phase npm-ci npm ci --no-audit --no-fund
rm -rf node_modules packages/*/node_modules packages/*/dist .turbo packages/*/.turbo
phase install-only npm ci --no-audit --no-fund --ignore-scripts
phase build-cold npx turbo run build --summarize --force --output-logs=errors-only
# every package's build alone, in dependency order (tsup: JS, then the d.ts)
for p in migrations core provider-strava provider-garmin provider-polar cli; do
  phase "build-$p" npm run build -w "@trainlytics/$p"
done
phase npm-test npx turbo run test --concurrency=1 --summarize
# per-file durations of the last test run, from turbo's logs of each package
for f in .turbo/runs/*.json; do cp "$f" "$out/"; done
node -e '
  const fs = require("fs");
  for (const f of fs.readdirSync(process.argv[1]).filter((f) => f.endsWith(".json"))) {
    const run = JSON.parse(fs.readFileSync(`${process.argv[1]}/${f}`, "utf8"));
    for (const t of run.tasks ?? []) {
      const ms = t.execution ? t.execution.endTime - t.execution.startTime : 0;
      console.log(`${run.execution?.command ?? f}\t${t.taskId}\t${(ms / 1000).toFixed(1)} s`);
    }
  }' "$out" | tee "$out/tasks.txt"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/phases.txt"
