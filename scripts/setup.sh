#!/usr/bin/env bash
# Creates .venv and installs everything brief needs, reusing a cached llama-cpp-python wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3.11}
command -v "$PY" >/dev/null || PY=python3
WHEELS="${BRIEF_WHEELS:-$HOME/.cache/brief/wheels}"
LLAMA=0.3.36
mkdir -p "$WHEELS"

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip

# llama-cpp-python must be built from source without native CPU flags (a native build segfaults here);
# the build takes minutes, so the wheel is kept outside the checkout and reused by every clone.
wheel=$(ls "$WHEELS"/llama_cpp_python-$LLAMA-*.whl 2>/dev/null | head -n1 || true)
if [ -z "$wheel" ]; then
  echo "Building llama-cpp-python $LLAMA (one time, a few minutes)..."
  tmp=$(mktemp -d)
  CMAKE_ARGS="-DGGML_NATIVE=OFF" .venv/bin/python -m pip wheel --no-cache-dir --no-deps \
    "llama-cpp-python==$LLAMA" -w "$tmp"
  mv "$tmp"/llama_cpp_python-*.whl "$WHEELS"/
  rm -rf "$tmp"
  wheel=$(ls "$WHEELS"/llama_cpp_python-$LLAMA-*.whl | head -n1)
fi
# torch first, pinned: anything else pulls a multi-GB CUDA build
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q "$wheel"
.venv/bin/python -m pip install -q -e ".[dev]"

# Browser tests use Debian's chromium (never a downloaded browser).
if [ "${BRIEF_SKIP_BROWSER:-0}" != 1 ] && ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
      || echo "warning: could not install chromium; browser tests will be skipped" >&2
  fi
fi

# Assemble and verify the model once (cached in ~/.cache/brief/models).
.venv/bin/python -c "from summarizer.settings import ModelSettings; from summarizer.llm.model_files import ensure_model; print('model:', ensure_model(ModelSettings().cache_dir / 'models'))"
