"""Who may reach the server: loopback only, unless a login is set (BRIEF_USERNAME / BRIEF_PASSWORD)."""
from __future__ import annotations

import ipaddress
import os


class UnsafeBindError(RuntimeError):
    """Serving on a non-loopback address without a username and password."""


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def auth_from_env() -> tuple[str, str] | None:
    """The (user, password) login from BRIEF_USERNAME / BRIEF_PASSWORD; None when neither is set."""
    user, password = os.environ.get("BRIEF_USERNAME"), os.environ.get("BRIEF_PASSWORD")
    if user and password:
        return user, password
    if user or password:
        raise UnsafeBindError("Set both BRIEF_USERNAME and BRIEF_PASSWORD (or neither).")
    return None


def check_bind(host: str, auth) -> None:
    """Refuse to serve beyond this machine without authentication."""
    if not is_loopback(host) and not auth:
        raise UnsafeBindError(
            f"Refusing to serve on {host}: that address is reachable from other machines and no login is set. "
            "Set BRIEF_USERNAME and BRIEF_PASSWORD to require a login, or serve on 127.0.0.1 (the default).")
