"""The errors every model backend raises, in one place below the backends, the server pool and the remote model."""
from __future__ import annotations


class BackendError(RuntimeError):
    """The backend failed for this request (bad output, server error); the batch records it and goes on."""


class BackendUnavailable(BackendError):
    """The backend cannot be reached at all (server down); a batch stops and can be resumed later."""


class BackendTimeout(BackendError):
    """One request took longer than the configured timeout."""


class NoLogprobs(BackendError):
    """The model server returned no log-probabilities, so P(yes) cannot be read; callers use the exact checks."""


NO_BASE_URL = "The openai backend needs a base URL: set BRIEF_OPENAI_BASE_URL or pass --openai-base-url"
