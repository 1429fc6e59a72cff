"""Starting and stopping real `python -m llama_cpp.server` processes on loopback for the model tests."""
from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(model, port: int, log, threads: str = "1", n_ctx: int = 4096) -> subprocess.Popen:
    """A server for the GGUF at model on 127.0.0.1:port, its load log written to the open file log."""
    return subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
         "--n_threads", threads, "--n_threads_batch", threads, "--n_ctx", str(n_ctx), "--chat_format", "chatml",
         "--model_alias", "qwen", "--interrupt_requests", "False"],  # else a new request cuts a streamed reply
        stdout=subprocess.DEVNULL, stderr=log, text=True)  # a file: llama.cpp's load log would fill a pipe


def wait_up(proc: subprocess.Popen, url: str, log, start_s: float) -> None:
    """Return once the server at url answers /models; fail the test when it exits or takes over start_s."""
    import httpx

    deadline = time.time() + start_s
    while time.time() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail(f"llama_cpp.server exited: {log.read()[-2000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"llama_cpp.server at {url} did not start within {start_s} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
