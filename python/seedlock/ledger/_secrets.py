"""Keeping database passwords out of everything seedlock prints or stores."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
_SCHEMES = ("postgresql://", "postgres://")
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def is_postgres(location: str) -> bool:
    return location.startswith(_SCHEMES)


def redact(location: str) -> str:
    """``location`` with any password replaced by ``***`` (URL user info, ``?password=``, ``password=``)."""
    if not is_postgres(location):
        return _KEYWORD_PASSWORD.sub(lambda m: m.group(1) + MASK, location)
    try:
        parts = urlsplit(location)
    except ValueError:
        return location.split("://", 1)[0] + "://" + MASK  # unparseable: show nothing that could be secret
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":" + MASK
        netloc = f"{userinfo}@{host}"
    query = parts.query
    if query:
        pairs = [(k, MASK if k.lower() == "password" else v) for k, v in parse_qsl(query, keep_blank_values=True)]
        query = urlencode(pairs, safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def secrets_of(location: str, env: Mapping[str, str] | None = None) -> list[str]:
    """Every password that could reach a message: from the URL and from ``PGPASSWORD``."""
    env = os.environ if env is None else env
    found: list[str] = []
    if is_postgres(location):
        try:
            from urllib.parse import unquote

            parts = urlsplit(location)
            if parts.password:
                found += [parts.password, unquote(parts.password)]
            found += [v for k, v in parse_qsl(parts.query) if k.lower() == "password"]
        except ValueError:
            pass
    if env.get("PGPASSWORD"):
        found.append(env["PGPASSWORD"])
    return [s for s in found if s]


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (longest first, so no fragment survives)."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
