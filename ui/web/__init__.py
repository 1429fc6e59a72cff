"""The Gradio web interface (one module per tab, HTML renderers in views*.py, assembly in app.py).

Importing the package is light: only the bind checks load here; ``serve`` and ``build_app`` import Gradio when called.
"""
from __future__ import annotations

from ui.web.bind import UnsafeBindError, auth_from_env, check_bind, is_loopback

__all__ = ["UnsafeBindError", "auth_from_env", "build_app", "check_bind", "is_loopback", "serve"]


def serve(service, host: str = "127.0.0.1", port: int = 7860, auth=None, **kwargs):
    """Serve the interface (see ``ui.web.app.serve``); the bind check runs before Gradio is imported."""
    auth = auth or auth_from_env()
    check_bind(host, auth)
    from ui.web.app import serve as serve_app

    return serve_app(service, host, port, auth, **kwargs)


def build_app(service, settings=None, runs_dir=None):
    """The Blocks app over one service (see ``ui.web.app.build_app``)."""
    from ui.web.app import build_app as build

    return build(service, settings, runs_dir=runs_dir)
