#!/usr/bin/env bash
# Does livedigits work on a Raspberry Pi 4 (64-bit Raspberry Pi OS) and read the same as on x86?
#
# Usage: sudo PYTHON=.venv/bin/python tools/pi_check.sh   (any python with the runtime installed)
#   ~5-7 min the first time (builds the emulated Pi), then ~40 s (on 2 busy x86 cores).
#
# 1. builds or reuses an emulated Pi 4 userland (aarch64, Cortex-A72, Debian bookworm like
#    Raspberry Pi OS) with the shared Pi tools, its numpy, opencv-python-headless, onnxruntime
#    and tqdm pinned to the versions the host python has;
# 2. installs this checkout there with `pip install --no-deps` and runs `livedigits` on a few
#    sample frames, one thread: fp32 model, --int8, and --scale 0.5;
# 3. runs the same commands natively with the host python, on the very files installed in the Pi;
# 4. compares the JSON Lines: same digit labels and number texts, boxes within 1 px, confidences
#    within 1e-3 (int8: shown, not judged; see CONF_OF). Prints a table and PASS or FAIL; the
#    exit status is 0 only on PASS.
#
# Environment:
#   PYTHON=EXE        host python with numpy, opencv-python and onnxruntime (default python3)
#   PI_TOOLS=DIR      the Pi emulation tools (default: ../shared/tools/pi from the repo root)
#   PI_CACHE=DIR      emulated root + this check's files in DIR/check (default /tmp/pi)
#   PI_PIP_PACKAGES   the Pi's packages (default: PYTHON's numpy, opencv, onnxruntime and tqdm
#                     versions: the runtime dependencies)
#   FRAMES="00 04"    which samples/frames/frame_NN.jpg to read (default: 00 04 07 09 12)
# Needs root (the emulation's chroot and mounts). Writes nothing in the repository.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
# A path relative to here still works after the cd below (not resolved: a venv's python is a link).
case $PYTHON in */*) PYTHON=$(cd "$(dirname "$PYTHON")" && pwd)/$(basename "$PYTHON") ;; esac
PI_TOOLS=${PI_TOOLS:-$REPO/../shared/tools/pi}
PI_CACHE=${PI_CACHE:-/tmp/pi}
FRAMES=${FRAMES:-00 04 07 09 12}
WORK=$PI_CACHE/check
RUNS=("fp32:" "int8:--int8" "scale0.5:--scale 0.5")
export OMP_NUM_THREADS=1 OPENCV_FOR_THREADS_NUM=1
T0=$SECONDS

step() { printf '\n== [%3ss] %s\n' "$((SECONDS - T0))" "$*"; }
die() { echo "pi_check: $*" >&2; exit 2; }
pi() { "$PI_TOOLS/run_in_pi.sh" -c "$PI_CACHE" -d "$WORK" -e OMP_NUM_THREADS=1 \
    -e OPENCV_FOR_THREADS_NUM=1 -- "$@"; }

[ "$(id -u)" = 0 ] || die "run as root: sudo $0"
[ -x "$PI_TOOLS/setup_pi_emulation.sh" ] || die "no Pi tools in $PI_TOOLS (set PI_TOOLS)"

if [ -z "${PI_PIP_PACKAGES:-}" ]; then
    PI_PIP_PACKAGES=$("$PYTHON" - <<'EOF'
from importlib.metadata import PackageNotFoundError, version
def v(*names):
    for name in names:
        try:
            return version(name)
        except PackageNotFoundError:
            pass
    raise SystemExit(f"pi_check: {names[0]} is not installed for this python (set PYTHON)")
# a Pi without a desktop uses the headless OpenCV build
print(f"numpy=={v('numpy')} "
      f"opencv-python-headless=={v('opencv-python', 'opencv-python-headless')} "
      f"onnxruntime=={v('onnxruntime')} tqdm=={v('tqdm')}")
EOF
) || die "cannot read the package versions of $PYTHON"
fi
export PI_PIP_PACKAGES

step "setup: emulated Pi 4 in $PI_CACHE with $PI_PIP_PACKAGES"
"$PI_TOOLS/setup_pi_emulation.sh" "$PI_CACHE"

step "install livedigits (this checkout, --no-deps) into the Pi's venv"
rm -rf "$WORK" && mkdir -p "$WORK/src" "$WORK/frames" "$WORK/host-site"
tar -C "$REPO" --exclude=__pycache__ -c pyproject.toml README.md livedigits models |
    tar -x -C "$WORK/src"
for n in $FRAMES; do cp "$REPO/samples/frames/frame_$n.jpg" "$WORK/frames/"; done
pi pip install -q --no-deps --force-reinstall --no-cache-dir "$WORK/src"
# the host runs the same installed files (code and models), not whatever it has installed
cp -r "$PI_CACHE"/root/opt/venv/lib/python3*/site-packages/livedigits "$WORK/host-site/"

step "versions"
VERSIONS='import platform, numpy, cv2, onnxruntime as ort
try:
    model = open("/sys/firmware/devicetree/base/model").read().strip("\0")
except OSError:
    model = "-"
print(f"{platform.machine():7} python {platform.python_version()}  numpy {numpy.__version__}  "
      f"cv2 {cv2.__version__}  onnxruntime {ort.__version__}  ({model})")'
printf 'pi:   '; pi python3 -c "$VERSIONS"
printf 'host: '; "$PYTHON" -c "$VERSIONS"

for run in "${RUNS[@]}"; do
    name=${run%%:*}
    read -ra opts <<< "${run#*:}"
    step "pi:   livedigits frames/ --json pi-$name.jsonl --no-display --threads 1 ${opts[*]}"
    pi livedigits frames --json "pi-$name.jsonl" --no-display --threads 1 "${opts[@]}"
    step "host: livedigits frames/ --json x86-$name.jsonl --no-display --threads 1 ${opts[*]}"
    (cd "$WORK" && PYTHONPATH=$WORK/host-site "$PYTHON" -m livedigits frames \
        --json "x86-$name.jsonl" --no-display --threads 1 "${opts[@]}")
done

step "compare (x86 vs Pi)"
cd "$WORK"
status=0
"$PYTHON" - "${RUNS[@]%%:*}" <<'EOF' || status=$?
import json
import sys
from pathlib import Path

BOX_PX, CONF = 1, 1e-3
# onnxruntime's int8 kernels differ by architecture (on an AVX2 x86 without VNNI, as here, u8 x s8
# products are summed in pairs into saturating int16; Arm's dot products do not saturate), so
# int8 confidences differ by some hundredths (0.031 and 0.063 seen with two models): they are
# shown, not judged; labels, numbers and boxes must match exactly.
CONF_OF = {"int8": float("inf")}
print(f"{'run':9} {'frames':>6} {'digits x86/pi':>14} {'numbers x86/pi':>15} "
      f"{'max box diff':>12} {'max conf diff':>13}  result")
notes, passed = [], True
for run in sys.argv[1:]:
    x86, pi = ([json.loads(line) for line in Path(f"{side}-{run}.jsonl").read_text().splitlines()]
               for side in ("x86", "pi"))
    same = len(x86) == len(pi)
    count = {"digits": [0, 0], "numbers": [0, 0]}
    box = conf = 0
    for a, b in zip(x86, pi, strict=False):
        same &= a["source"] == b["source"]
        for key, what in (("digits", "label"), ("numbers", "text")):
            count[key][0] += len(a[key])
            count[key][1] += len(b[key])
            if [d[what] for d in a[key]] != [d[what] for d in b[key]]:
                same = False
                notes.append(f"{run} {a['source']} {key}: x86 {[d[what] for d in a[key]]}"
                             f" pi {[d[what] for d in b[key]]}")
            for d, e in zip(a[key], b[key], strict=False):
                box = max(box, *(abs(u - v) for u, v in zip(d["box"], e["box"], strict=True)))
                conf = max(conf, abs(d["confidence"] - e["confidence"]))
    ok = same and box <= BOX_PX and conf <= CONF_OF.get(run, CONF)
    passed &= ok
    digits, numbers = ("{}/{}".format(*count[key]) for key in ("digits", "numbers"))
    print(f"{run:9} {len(pi):6} {digits:>14} {numbers:>15} {box:12} {conf:13.4f}  "
          f"{'ok' if ok else 'DIFF'}")
if notes:
    print(*notes, sep="\n")
print(f"{'PASS' if passed else 'FAIL'}: same digits and numbers, boxes within {BOX_PX} px, "
      f"confidences within {CONF} (int8: shown only)")
sys.exit(0 if passed else 1)
EOF
step "done"
exit "$status"
