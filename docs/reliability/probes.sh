#!/usr/bin/env bash
# The command-line probes of issue 20 ("Nothing lost, nobody let in"), re-runnable: each hostile or careless input is
# tried once against a scratch copy of the shipped models in a temporary folder, with the SHA-256 of what it could
# damage taken before and after. Prints a Markdown table (docs/reliability/probes.md holds a run of it):
#
#   docs/reliability/probes.sh > docs/reliability/probes.md
#
# A probe passes when the command is refused (exit code not 0) with a first line that names the problem, and its files
# are unchanged. The service-level probes need the stack; the ITs listed in docs/reliability/README.md cover them.
# Nothing here starts a service or binds a port: the study-spec probes use `./qwm study estimate`, which runs the very
# check `./qwm study run` runs before it starts anything (StudySpec.read), so a spec that passed would not start the
# local stack on its fixed ports.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
QWM="$ROOT/qwm"
S="$(mktemp -d "${TMPDIR:-/tmp}/qwm-probes.XXXXXX")"
trap 'rm -rf "$S"' EXIT
export QWM_HOME="$S" # the CLI's .qwm (artifact store, default PushT dataset) is the scratch folder's
FAILED=0

"$QWM" help > /dev/null 2>&1 || { echo "probes: ./qwm does not build or run" >&2; exit 1; }
export QWM_SKIP_BUILD=1 # built once above; a probe's first line is then the command's own

cp -r "$ROOT/models/wall" "$ROOT/models/pusht" "$S/"

# digest PATH...: one SHA-256 over every file under the paths (names and contents), "absent" if none exists
digest() {
  local existing=()
  for p in "$@"; do [ -e "$p" ] && existing+=("$p"); done
  if [ ${#existing[@]} -eq 0 ]; then echo absent; return; fi
  (cd "$S" && find "${existing[@]/#$S\//}" -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12
}

# said FILE: the first line a user reads and, when another, the last (where a refusal is), the JVM's own notices and
# progress redraws left out
said() {
  local lines first last
  lines=$(tr '\r' '\n' < "$1" | grep -v -e '^Picked up ' -e '^[[:space:]]*$')
  lines="${lines//$S/\$S}"
  first=$(head -n 1 <<< "$lines" | cut -c1-200)
  last=$(tail -n 1 <<< "$lines" | cut -c1-300)
  if [ -z "$first" ]; then echo "(nothing)"
  elif [ "$first" = "$last" ]; then echo "$first" | sed 's/|/\\|/g'
  else echo "$first … <br>**last:** $last" | sed 's/|/\\|/g'
  fi
}

row() { # name, command shown, exit code, first line, before, after
  local verdict=unchanged
  [ "$5" = "$6" ] || verdict=CHANGED
  local ok=refused
  [ "$3" = 0 ] && ok="NOT refused"
  if [ "$verdict" = CHANGED ] || [ "$3" = 0 ]; then FAILED=$((FAILED + 1)); fi
  printf '| %s | `%s` | %s | %s | %s | %s | %s, %s |\n' "$1" "$2" "$3" "$4" "$5" "$6" "$ok" "$verdict"
}

# probe NAME "PATHS" COMMAND...: runs the command (5 min at most), prints its row
probe() {
  local name="$1" paths="$2"
  shift 2
  local before after rc out="$S/.out"
  # shellcheck disable=SC2086
  before=$(digest $paths)
  timeout 300 "$@" > "$out" 2>&1
  rc=$?
  # shellcheck disable=SC2086
  after=$(digest $paths)
  local shown="${SHOWN:-$*}" # SHOWN: how to show a command that a wrapper would make hard to read
  shown="${shown//$S/\$S}"
  shown="${shown//$QWM/./qwm}"
  row "$name" "$shown" "$rc" "$(said "$out")" "$before" "$after"
}

spec() { # spec FILE ENV BUNDLE EXTRA...: a study spec with one FP recipe and one extra line per argument
  local file="$1" env="$2" bundle="$3"
  shift 3
  { printf 'name: probe\nenvironment: %s\nbundle: %s\n' "$env" "$bundle"
    for line in "$@"; do printf '%s\n' "$line"; done
  } > "$file"
}

# What the probes start from (not probes): an evaluation log, a Wall dataset and a PushT dataset, all small.
"$QWM" eval --bundle "$S/wall" --episodes 1 --samples 20 --topk 5 --opt-steps 2 --max-iter 1 --no-step-metrics \
  --results "$S/eval.json" > "$S/.setup" 2>&1 \
  || { echo "probes: the evaluation log could not be made:" >&2; cat "$S/.setup" >&2; exit 1; }
"$QWM" dataset --env wall --out "$S/wall-data" --episodes 20 --steps 10 > "$S/.setup" 2>&1 \
  || { echo "probes: the Wall dataset could not be made:" >&2; cat "$S/.setup" >&2; exit 1; }
"$QWM" dataset --env pusht --out "$S/hostile" --episodes 20 --steps 10 > "$S/.setup" 2>&1 \
  || { echo "probes: the PushT dataset could not be made:" >&2; cat "$S/.setup" >&2; exit 1; }
# A hostile header: the first validation episode claims 1,000,000 actions (the most a header may claim), whose frames
# would be 12 GB; the manifest is made to agree with the damaged file, so only the header can refuse it.
python3 - "$S/hostile" <<'EOF'
import hashlib, json, struct, sys, pathlib
d = pathlib.Path(sys.argv[1]); m = json.loads((d / "dataset.json").read_text())
f = d / m["splits"]["validation"]["file"]; b = bytearray(f.read_bytes())
env_len = struct.unpack(">H", b[8:10])[0]
at = 10 + env_len + 5 * 4                       # the first episode record: "EPIS", index, policy, T
assert b[at:at + 4] == b"EPIS"
policy_len = struct.unpack(">H", b[at + 8:at + 10])[0]
t_at = at + 10 + policy_len
b[t_at:t_at + 4] = struct.pack(">i", 1_000_000)
f.write_bytes(bytes(b))
m["splits"]["validation"]["sha256"] = hashlib.sha256(b).hexdigest()
m["splits"]["validation"]["bytes"] = len(b)
(d / "dataset.json").write_text(json.dumps(m, indent=2))
EOF

echo "Issue 20's command-line probes, run by \`docs/reliability/probes.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'),"
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg),"
echo "the command line as of commit $(git -C "$ROOT" log -1 --format=%h -- services/cli services/libs ':!services/libs/service-support' proto pom.xml)$(git -C "$ROOT" diff --quiet HEAD -- services/cli services/libs proto || echo ' with changes'). \$S is the scratch folder (a copy of models/wall and"
echo "models/pusht);"
echo "before/after: the first 12 hex digits of one SHA-256 over every file the probe could damage."
echo
echo '| probe | command | exit | what it said (first line; last line) | before | after | verdict |'
echo '|---|---|---|---|---|---|---|'

probe "quantize --out onto --bundle" "$S/wall" \
  "$QWM" quantize --bundle "$S/wall" --preset w8a8 --modules predictor --out "$S/wall"
probe "quantize --out onto another bundle" "$S/pusht" \
  "$QWM" quantize --bundle "$S/wall" --preset w4a16 --modules predictor --out "$S/pusht"
# A write that fails midway: files may not grow past 300 KiB (ulimit -f), so the copy of the unchanged 596 KiB visual
# encoder into the new bundle fails after the smaller files are written (ONNX Runtime's dumps of the quantized
# predictor, about 100 KiB, still fit). ONNX Runtime's native library is unpacked beforehand, or its own extraction
# (28 MB) would be what fails.
mkdir -p "$S/ort"
unzip -q -j -o "$ROOT"/services/cli/target/lib/onnxruntime-*.jar 'ai/onnxruntime/native/linux-x64/*' -d "$S/ort"
SHOWN="ulimit -f 300; ./qwm quantize --bundle \$S/wall --preset w4a16 --modules predictor --out \$S/pusht --force" \
probe "quantize --out --force, write fails midway (ulimit -f 300 KiB)" "$S/pusht" \
  env QWM_JAVA_OPTS="-Donnxruntime.native.path=$S/ort" bash -c "ulimit -f 300; exec \"\$0\" \"\$@\"" \
  "$QWM" quantize --bundle "$S/wall" --preset w4a16 --modules predictor --out "$S/pusht" --force
probe "eval --results onto an existing log, no --resume" "$S/eval.json $S/eval.json.episodes.jsonl" \
  "$QWM" eval --bundle "$S/wall" --episodes 1 --samples 20 --topk 5 --opt-steps 2 --max-iter 1 --results "$S/eval.json"

# interrupted SIGNAL: dataset --force stopped by SIGNAL once it is writing; the old dataset must be whole
interrupted() {
  local before rc pid staged left
  before=$(digest "$S/wall-data")
  set -m # job control: a background job of a script otherwise ignores SIGINT, as if Ctrl-C could not reach it
  "$QWM" dataset --env wall --out "$S/wall-data" --force --episodes 4000 --steps 50 > "$S/.out" 2>&1 &
  pid=$!
  set +m
  for _ in $(seq 600); do # until its staging folder (a hidden sibling of --out) exists, 5 min at most
    compgen -G "$S/.wall-data.staging-*" > /dev/null && break
    sleep 0.5
  done
  staged=$(compgen -G "$S/.wall-data.staging-*" | head -n 1)
  kill -"$1" "$pid" 2> /dev/null
  wait "$pid"
  rc=$?
  left=$(compgen -G "$S/.wall-data.staging-*" > /dev/null && echo "its staging folder is left" || echo "no staging folder left")
  row "dataset --force, SIG$1 while writing" "./qwm dataset --env wall --out \$S/wall-data --force --episodes 4000 (SIG$1 once ${staged:+${staged/#$S/\$S}} exists; $left)" \
    "$rc" "$(said "$S/.out")" "$before" "$(digest "$S/wall-data")"
  rm -rf "$S"/.wall-data.staging-*
}
interrupted INT
interrupted KILL

spec "$S/unknown-preset.yaml" wall "$S/wall" "episodes: 2" "recipes: [{name: fp32}, {name: q, preset: w5a5}]"
probe "study spec: unknown preset" "$S/unknown-preset.yaml $S/wall" "$QWM" study estimate "$S/unknown-preset.yaml"
spec "$S/other-env.yaml" wall "$S/pusht" "episodes: 2" "recipes: [{name: fp32}]"
probe "study spec: bundle of the other environment" "$S/other-env.yaml $S/pusht" "$QWM" study estimate "$S/other-env.yaml"
spec "$S/bad-path.yaml" wall "$S/no-such-bundle" "episodes: 2" "recipes: [{name: fp32}]"
probe "study spec: bad bundle path" "$S/bad-path.yaml" "$QWM" study estimate "$S/bad-path.yaml"
spec "$S/too-many.yaml" wall "$S/wall" "episodes: 10001" "recipes: [{name: fp32}]"
probe "study spec: 10,001 episodes" "$S/too-many.yaml $S/wall" "$QWM" study estimate "$S/too-many.yaml"
spec "$S/negative-seeds.yaml" wall "$S/wall" "episodes: 2" "seeds: {base: -99, offset: -1}" "recipes: [{name: fp32}]"
probe "study spec: negative seeds" "$S/negative-seeds.yaml $S/wall" "$QWM" study estimate "$S/negative-seeds.yaml"

probe "hostile dataset header (1,000,000 actions)" "$S/hostile $S/pusht" \
  "$QWM" verify --bundle "$S/pusht" --reference "$S/pusht" --dataset "$S/hostile" --max-episodes 2
printf 'name: rows\nmodules:\n  predictor: {weights: {bits: 4}}\ncalibration: {rowsPerTensor: 5000000}\n' > "$S/rows.yaml"
probe "recipe rowsPerTensor 5,000,000" "$S/q-rows $S/wall" \
  "$QWM" quantize --bundle "$S/wall" --recipe "$S/rows.yaml" --out "$S/q-rows"
probe "quantize --quant-iter 1,000,000,000" "$S/q-iter $S/wall" \
  "$QWM" quantize --bundle "$S/wall" --preset w8a8 --modules predictor --quant-iter 1000000000 --out "$S/q-iter"
probe "quantize --episodes 1,000,000,000" "$S/q-episodes $S/wall" \
  "$QWM" quantize --bundle "$S/wall" --preset w8a8 --modules predictor --episodes 1000000000 --out "$S/q-episodes"

echo
if [ "$FAILED" -eq 0 ]; then
  echo "Every probe refused, naming the problem, and no file changed."
else
  echo "$FAILED probe(s) NOT refused or with CHANGED files: bugs."
fi
exit "$FAILED"
