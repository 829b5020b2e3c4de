#!/usr/bin/env bash
# Cross-checks the dyn4j PushT port against Chipmunk2D 7 (the C engine under pymunk), step by step.
# Needs: apt-get install libchipmunk-dev gcc python3; the module built (./mvnw -pl services/libs/environments install).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODULE="$(cd "$HERE/../.." && pwd)"
M2="${HOME}/.m2/repository"
CP="$MODULE/target/classes:$M2/org/dyn4j/dyn4j/6.0.0/dyn4j-6.0.0.jar:$M2/org/apache/commons/commons-math3/3.6.1/commons-math3-3.6.1.jar"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
gcc -O2 -DNDEBUG -o "$WORK/pusht_chipmunk" "$HERE/pusht_chipmunk.c" -lchipmunk -lm
replay() { java -cp "$CP" "$HERE/PushTReplay.java" "$@"; }

# hand-made pushes: off-centre (turns), centred (translates), into the left wall (squeeze)
printf "266 420 256 250 0 0 0\n" > "$WORK/offcentre.txt"; for i in $(seq 12); do echo "0 -0.25" >> "$WORK/offcentre.txt"; done
printf "256 420 256 250 0 0 0\n" > "$WORK/centred.txt";   for i in $(seq 12); do echo "0 -0.2" >> "$WORK/centred.txt"; done
printf "150 115 77 100 0 0 0\n" > "$WORK/squeeze.txt";    for i in $(seq 20); do echo "-0.15 0" >> "$WORK/squeeze.txt"; done
# dataset episodes of the scripted pusher (seed 0)
for i in 0 1 2 3 4 5; do replay episode 0 "$i" > "$WORK/episode$i.txt"; done

for c in offcentre centred squeeze episode0 episode1 episode2 episode3 episode4 episode5; do
  "$WORK/pusht_chipmunk" < "$WORK/$c.txt" | grep -v '^[A-Za-z]' > "$WORK/$c.chipmunk"
  replay replay < "$WORK/$c.txt" > "$WORK/$c.dyn4j"
  python3 "$HERE/compare.py" "$WORK/$c.chipmunk" "$WORK/$c.dyn4j" "$c"
done
