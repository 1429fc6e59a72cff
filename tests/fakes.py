"""Small fakes shared by the reliability tests (issue 11): a service over the counting embedder, small corpora, a
fake OpenAI-compatible model server that can stop a request on cue, and `brief` run in a child process.

No real model runs anywhere here: the embedder is tests/retrieval/counting_embedder.py and the language model is the
fake server of tests/summarizer/test_remote_llm.py (reached through BRIEF_BACKEND=openai, the CLI's own code path).
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import REPO
from tests.retrieval.counting_embedder import CountingEmbedder
from tests.summarizer.test_remote_llm import FakeServer, Handler

COUNCILS = ("Torbay", "Darlington", "Slough", "Rotherham", "Tameside", "Worcestershire")


def use_counting_embedder(mp) -> None:
    """Make every BriefService this process builds without an embedder (the CLI's) use the counting stand-in;
    mp is a pytest MonkeyPatch."""
    mp.setattr("summarizer.service.shared_embedder", CountingEmbedder)


def counting_service(index: Path, **kw):
    """A BriefService over index with the counting embedder (no embedding model is loaded)."""
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    return BriefService(Settings.from_env(index), embedder=CountingEmbedder(), **kw)


def write_articles(folder: Path, councils=COUNCILS, tag: str = "") -> list[Path]:
    """One short news article per council (findings with figures, so a summary has something to say), each with a
    distinct word (``tag`` + council) that a test can look for in prompts and hits."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, council in enumerate(councils):
        word = f"{tag}{council.lower()}marker"
        text = (f"Ofsted rates {council} children's services\n\n"
                f"Inspectors from Ofsted said {council} Council's children's services were inadequate in 2019. "
                f"They found that {20 + i} assessments were late and that social workers had high caseloads. "
                f"The report, seen by {word} readers, said managers did not check plans for children. "
                f"The council said it would recruit {5 + i} more social workers within six months.\n")
        path = folder / f"{tag}{council.lower()}.txt"
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


# --- a fake model server that can hold or refuse a request on cue -------------------------------------------------

class _GatedHandler(Handler):
    """The fake server's handler, first showing each POST body to the server's ``gate`` (which may block)."""

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        gate = self.server.fake.gate
        if gate is not None:
            gate(self.path, json.loads(raw))
        self.rfile = io.BytesIO(raw)
        super().do_POST()


class GatedServer(FakeServer):
    """FakeServer with ``gate(path, body)``, called before each POST is answered (e.g. to kill a client mid-run)."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.gate: Callable[[str, dict], None] | None = None
        self.httpd.RequestHandlerClass = _GatedHandler

    def prompts(self) -> list[str]:
        """Every prompt sent so far: completions' prompt, chat messages' contents."""
        out = []
        for _, body in list(self.requests):
            if "prompt" in body:
                out.append(str(body["prompt"]))
            for m in body.get("messages") or []:
                out.append(str(m.get("content")))
        return out


def backend_env(server: FakeServer, **extra: str) -> dict[str, str]:
    """The environment that sends every model request of a `brief` command to server (and nothing else)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEF_")}
    env.update(BRIEF_BACKEND="openai", BRIEF_OPENAI_BASE_URL=server.url, BRIEF_OPENAI_TIMEOUT="20",
               HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1", **extra)
    return env


# --- `brief` in a child process, over the counting embedder ----------------------------------------------------------

_CHILD = ("import sys\n"
          "import summarizer.service\n"
          "from tests.retrieval.counting_embedder import CountingEmbedder\n"
          "summarizer.service.shared_embedder = CountingEmbedder  # the stand-in embedder, as in the in-process tests\n"
          "from ui.cli import main\n"
          "sys.exit(main(sys.argv[1:]))\n")


def brief_child(argv: list[str], env: dict[str, str] | None = None, **popen) -> subprocess.Popen:
    """`brief argv...` as a child process (ui.cli.main, the console script's function) with the counting embedder."""
    return subprocess.Popen([sys.executable, "-c", _CHILD, *argv], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **popen)


def run_brief(argv: list[str], env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `brief argv...` in a child to the end; stdout and stderr as text."""
    child = brief_child(argv, env)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise
    return subprocess.CompletedProcess(child.args, child.returncode, out.decode("utf-8", "replace"),
                                       err.decode("utf-8", "replace"))


def wait_for(predicate: Callable[[], object], timeout: float, what: str):
    """Poll predicate until it is true (returning its value); AssertionError naming ``what`` after timeout s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class KillSwitch:
    """A gate for GatedServer that SIGKILLs the child the first time a request matches, and holds that request
    until the child is gone (so the killed request never gets its answer)."""

    def __init__(self, match: Callable[[str, dict], bool]) -> None:
        self.match, self.child, self.fired = match, None, threading.Event()

    def __call__(self, path: str, body: dict) -> None:
        if self.child is None or self.fired.is_set() or not self.match(path, body):
            return
        self.fired.set()
        self.child.kill()  # SIGKILL: no cleanup, no finally blocks, no atexit
        self.child.wait(10)
