"""A pool of OpenAI-compatible model servers (BRIEF_OPENAI_BASE_URL="http://a:8000/v1,http://b:8000/v1"): each request
goes to the least-busy healthy server and moves to another when one fails (connect error, dropped connection, 5xx,
timeout); a failed server is health-checked with backoff and rejoins once a check passes. Thread-safe."""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx

from summarizer.llm.errors import NO_BASE_URL, BackendError, BackendTimeout, BackendUnavailable

log = logging.getLogger(__name__)

LLAMA_FLAVOURS = ("llama-cpp-python", "llama-server")
_OWNERS = {"me": "llama-cpp-python", "llamacpp": "llama-server", "vllm": "vllm"}  # GET /v1/models "owned_by"


class ServerRefused(BackendError):
    """A server answered the request with a client error (4xx): sending it elsewhere would not help."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class StreamInterrupted(BackendError):
    """A server failed after part of a streamed reply had been passed on (the caller may continue elsewhere)."""


@dataclass
class Server:
    """One model server and what the pool knows of it."""

    root: str  # http://host:port (requests add /v1/completions, /extras/tokenize, ...)
    in_flight: int = 0
    up: bool | None = None  # None: not checked yet
    checking: bool = False
    failures: int = 0
    retry_at: float = 0.0  # monotonic time of the next health check while down
    error: str = ""  # why it is down
    flavour: str = "openai"  # llama-cpp-python | llama-server | vllm | openai (any other)
    models: list[str] = field(default_factory=list)
    served: int = 0
    last_used: float = 0.0
    last_prefix: str | None = None  # affinity key of the last prompt sent (its server-side prompt cache)

    @property
    def url(self) -> str:
        return self.root + "/v1"


Request = Callable[[Server], tuple[str, dict]]  # the server chosen -> (path, JSON body)


def split_urls(urls: str | list[str]) -> list[str]:
    """Server roots from a comma-separated list of base URLs (with or without /v1), duplicates dropped."""
    items = urls.split(",") if isinstance(urls, str) else list(urls)
    roots = []
    for u in items:
        u = u.strip().rstrip("/")
        if u:
            roots.append(u[:-3] if u.endswith("/v1") else u)
    return list(dict.fromkeys(roots))


def sse_events(lines: Iterator[str]) -> Iterator[dict]:
    """The JSON events of a server-sent-event stream, up to "data: [DONE]"; a stream that ends without it was cut."""
    for line in lines:
        if not line.startswith("data:"):
            continue  # blank separators, ": ping" comments, event names
        data = line[5:].strip()
        if data == "[DONE]":
            return
        if data:
            event = json.loads(data)
            if isinstance(event, dict) and event.get("error"):
                raise BackendError(f"the server reported an error mid-stream: {str(event['error'])[:300]}")
            yield event
    raise httpx.RemoteProtocolError("the stream ended without [DONE]")


class ServerPool:
    """Least-busy routing over several servers, with health checks, per-request timeouts and retries elsewhere."""

    def __init__(self, urls: str | list[str], api_key: str | None = None, timeout_s: float = 300.0,
                 health_timeout_s: float = 5.0, backoff_s: float = 1.0, max_backoff_s: float = 30.0) -> None:
        self.servers = [Server(r) for r in split_urls(urls)]
        if not self.servers:
            raise BackendUnavailable(NO_BASE_URL)
        self.timeout_s = timeout_s
        self.health_timeout_s = health_timeout_s  # not the request timeout: a server may be slow to answer yet up
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self._cond = threading.Condition(threading.Lock())
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_s, connect=min(10.0, timeout_s)),
                                    limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers]

    def __len__(self) -> int:
        return len(self.servers)

    def close(self) -> None:
        self._client.close()

    # --- health ---------------------------------------------------------------------------------------------------
    def check(self, server: Server) -> bool:
        """GET /v1/models (else /health): marks the server up or down, and learns its kind and model names."""
        try:
            r = self._client.get(f"{server.url}/models", timeout=self.health_timeout_s)
            if r.status_code == 200:
                data = r.json().get("data") or []
                owners = {str(m.get("owned_by", "")).lower() for m in data if isinstance(m, dict)}
                server.flavour = next((_OWNERS[o] for o in owners if o in _OWNERS), server.flavour)
                server.models = [str(m["id"]) for m in data if isinstance(m, dict) and m.get("id")]
            elif r.status_code in (404, 405):
                r = self._client.get(f"{server.root}/health", timeout=self.health_timeout_s)
            ok, why = r.status_code == 200, f"health check answered {r.status_code}"
        except (httpx.HTTPError, ValueError, AttributeError) as e:
            ok, why = False, f"health check failed: {e}"
        with self._cond:
            server.checking = False
            self._mark(server, ok, why)
            self._cond.notify_all()
        return ok

    def _mark(self, server: Server, ok: bool, why: str = "") -> None:
        """Record a success or failure (the lock is held); a failure schedules the next check with backoff."""
        if ok:
            if server.up is False:
                log.warning("model server %s is back; it rejoins the pool", server.url)
            server.up, server.failures, server.error = True, 0, ""
            return
        if server.up is not False:
            log.warning("model server %s is out of the pool: %s", server.url, why)
        server.up, server.error = False, why
        server.failures += 1
        delay = min(self.max_backoff_s, self.backoff_s * 2 ** (server.failures - 1))
        server.retry_at = time.monotonic() + delay

    def _check_in_background(self, servers: list[Server]) -> None:
        for s in servers:
            threading.Thread(target=self.check, args=(s,), name="brief-pool-health", daemon=True).start()

    # --- choosing a server ------------------------------------------------------------------------------------------
    @staticmethod
    def _pick(ready: list[Server], affinity: str | None) -> Server:
        """The least busy; among equals the one that last saw this prompt prefix, then the least recently used."""
        least = min(s.in_flight for s in ready)
        ties = [s for s in ready if s.in_flight == least]
        return min(ties, key=lambda s: (not (affinity and s.last_prefix == affinity), s.last_used))

    def _acquire(self, tried: set[str], affinity: str | None) -> Server | None:
        """A healthy server not yet tried for this request (counted in flight), or None when none is left. With none
        healthy, the servers due a health check are checked now; then, once, every down one despite its backoff."""
        checked: set[str] = set()
        forced = False
        while True:
            with self._cond:
                left = [s for s in self.servers if s.root not in tried]
                now = time.monotonic()
                due = [s for s in left if not s.checking and s.root not in checked and (
                    s.up is None or (s.up is False and (forced or s.retry_at <= now)))]
                for s in due:
                    s.checking = True
                ready = [s for s in left if s.up]
                chosen = self._pick(ready, affinity) if ready else None
                if chosen is not None:
                    chosen.in_flight, chosen.served, chosen.last_used = chosen.in_flight + 1, chosen.served + 1, now
                    chosen.last_prefix = affinity or chosen.last_prefix
                elif not due and any(s.checking for s in left):  # another thread is checking one: wait for it
                    self._cond.wait(self.health_timeout_s + 1)
                    continue
                elif not due:
                    if forced:
                        return None
                    forced = True
                    continue
            if chosen is not None:  # down servers whose backoff has passed are checked beside the request
                self._check_in_background(due)
                return chosen
            for s in due:
                self.check(s)
                checked.add(s.root)

    def _release(self, server: Server, ok: bool | None, why: str = "") -> None:
        with self._cond:
            server.in_flight -= 1
            if ok is not None:
                self._mark(server, ok, why)

    # --- requests ---------------------------------------------------------------------------------------------------
    def _client_error(self, server: Server, r: httpx.Response) -> None:
        if r.status_code in (401, 403):
            raise BackendUnavailable(f"The server at {server.url} refused the API key ({r.status_code})")
        if r.status_code >= 400:
            raise ServerRefused(f"The server at {server.url} answered {r.status_code}: {r.text[:300]}", r.status_code)

    def _exhausted(self, failure: Exception | None, tried: set[str]) -> BackendError:
        """The error once no server is left to try."""
        if isinstance(failure, BackendError):
            return failure
        urls = ", ".join(s.url for s in self.servers)
        if isinstance(failure, httpx.TimeoutException):
            return BackendTimeout(f"The server at {urls} did not answer within {self.timeout_s:g}s")
        why = failure or "; ".join(f"{s.url}: {s.error}" for s in self.servers if s.error) or "no server is up"
        return BackendUnavailable(f"Cannot reach the OpenAI-compatible server at {urls} ({why}). Start the server or "
                                  "set BRIEF_OPENAI_BASE_URL; rerun the same command to resume where it stopped.")

    def post(self, request: Request, affinity: str | None = None) -> tuple[dict, Server]:
        """POST to one server (JSON reply), retried on another when one fails; returns the reply and its server."""
        tried: set[str] = set()
        failure: Exception | None = None
        while (s := self._acquire(tried, affinity)) is not None:
            tried.add(s.root)
            ok, why = None, ""
            try:
                path, body = request(s)
                r = self._client.post(s.root + path, json=body)
                if r.status_code >= 500:
                    failure = BackendError(f"The server at {s.url} answered {r.status_code}: {r.text[:300]}")
                    ok, why = (None if r.status_code == 500 else False), f"answered {r.status_code}"
                    continue
                self._client_error(s, r)
                out, ok = r.json(), True
                return out, s
            except httpx.TransportError as e:  # connect error, dropped connection, timeout
                failure, ok, why = e, False, f"{type(e).__name__}: {e}"
                log.warning("model server %s failed (%s); trying another", s.url, why)
            except ValueError as e:
                failure = BackendError(f"The server at {s.url} sent a reply that is not JSON: {e}")
            finally:
                self._release(s, ok, why)
        raise self._exhausted(failure, tried)

    def stream(self, request: Request, affinity: str | None = None) -> Iterator[dict]:
        """POST a streaming request; yields its server-sent events. A server failing before any event is yielded is
        replaced by another; after that the failure is a StreamInterrupted."""
        tried: set[str] = set()
        failure: Exception | None = None
        while (s := self._acquire(tried, affinity)) is not None:
            tried.add(s.root)
            ok, why, yielded = None, "", False
            try:
                path, body = request(s)
                with self._client.stream("POST", s.root + path, json=body) as r:
                    if r.status_code >= 400:
                        r.read()
                    if r.status_code >= 500:
                        failure = BackendError(f"The server at {s.url} answered {r.status_code}: {r.text[:300]}")
                        ok, why = (None if r.status_code == 500 else False), f"answered {r.status_code}"
                        continue
                    self._client_error(s, r)
                    for event in sse_events(r.iter_lines()):
                        yielded = True
                        yield event
                ok = True
                return
            except ValueError as e:
                raise BackendError(f"The server at {s.url} sent an event that is not JSON: {e}") from e
            except httpx.TransportError as e:
                failure, ok, why = e, False, f"{type(e).__name__}: {e}"
                log.warning("model server %s failed mid-stream (%s)", s.url, why)
                if yielded:
                    raise StreamInterrupted(f"The server at {s.url} failed mid-answer ({why})") from e
            finally:
                self._release(s, ok, why)
        raise self._exhausted(failure, tried)


_POOLS: dict[tuple, ServerPool] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(urls: str, api_key: str | None = None, timeout_s: float = 300.0) -> ServerPool:
    """One pool per process and server list, so the answerer and the summarizer count the same requests in flight."""
    key = (tuple(split_urls(urls)), api_key, timeout_s)
    with _POOLS_LOCK:
        if key not in _POOLS:
            _POOLS[key] = ServerPool(urls, api_key, timeout_s)
        return _POOLS[key]
