"""Ledger addresses, and keeping database passwords out of everything seedlock prints, stores or shows.

A ledger is named by a file path (SQLite) or by any PostgreSQL address libpq reads: a URL
(``postgresql://`` or ``postgres://``, the scheme in any case, SQLAlchemy's ``postgresql+psycopg://``
too, surrounding blanks ignored) or a keyword string (``host=… dbname=… password=…``). Anything else
with a ``scheme://`` is refused, and every message shows an address with its secrets as ``***``.
The secret-bearing parameters are ``password`` and ``sslpassword`` (the key file's passphrase).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, unquote, urlencode

from ..spec.errors import SeedlockError

MASK = "***"
SECRET_KEYS = frozenset({"password", "sslpassword"})
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")
_POSTGRES_SCHEMES = ("postgresql", "postgres")
# libpq's connection keywords (PQconndefaults, PostgreSQL 17): a location starting with one of them
# and "=" is a keyword string, not a file name (write ./host=x.sqlite for such a file).
_LIBPQ_KEYWORDS = frozenset(
    [
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "password",
        "passfile",
        "require_auth",
        "channel_binding",
        "connect_timeout",
        "client_encoding",
        "options",
        "application_name",
        "fallback_application_name",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "tcp_user_timeout",
        "replication",
        "gssencmode",
        "sslmode",
        "sslnegotiation",
        "requiressl",
        "sslcompression",
        "sslcert",
        "sslkey",
        "sslkeylogfile",
        "sslpassword",
        "sslcertmode",
        "sslrootcert",
        "sslcrl",
        "sslcrldir",
        "sslsni",
        "requirepeer",
        "ssl_min_protocol_version",
        "ssl_max_protocol_version",
        "krbsrvname",
        "gsslib",
        "gssdelegation",
        "service",
        "target_session_attrs",
        "load_balance_hosts",
    ]
)
_KEYWORD_START = re.compile(r"\s*([A-Za-z_]+)\s*=")
# A keyword string's secret value: quoted ('a b', with \' and \\ escapes) or up to the next blank.
_KEYWORD_SECRET = re.compile(r"\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S*)", re.IGNORECASE)
# Characters that end libpq's user-info part early when they are not percent-encoded.
_USERINFO_BREAKERS = "@/?#"


def _url_rest(location: str) -> tuple[str, str] | None:
    """(scheme in lower case, text after ``://``) for a URL-like location, else None."""
    match = _URL.match(location.strip())
    if match is None:
        return None
    return match.group(1).lower(), location.strip()[match.end() :]


def _is_postgres_scheme(scheme: str) -> bool:
    return scheme.split("+", 1)[0] in _POSTGRES_SCHEMES


def is_keyword_string(location: str) -> bool:
    match = _KEYWORD_START.match(location)
    return match is not None and match.group(1).lower() in _LIBPQ_KEYWORDS


def is_postgres(location: str) -> bool:
    """Whether ``location`` names a PostgreSQL ledger (a URL of any accepted form, or a keyword string)."""
    rest = _url_rest(location)
    return (rest is not None and _is_postgres_scheme(rest[0])) or (rest is None and is_keyword_string(location))


def _split_userinfo(rest: str) -> tuple[str | None, str]:
    """(user info, the rest from the host on) of a URL's text after ``://``; user info None when absent.

    The user info ends at the LAST ``@`` (a password may hold an unencoded ``@``), unless the text before
    it begins like a host (``host``, ``host:5432``) followed by a path or query: then the ``@`` is in the
    path or query and there is no user info."""
    at = rest.rfind("@")
    if at < 0:
        return None, rest
    before = rest[:at]
    first = re.split(r"[/?#]", before, maxsplit=1)[0]
    if first != before and "@" not in first and (":" not in first or first.rsplit(":", 1)[1].isdigit()):
        return None, rest  # `h/db?application_name=a@b`, `h:5432/db?x=a@b`
    return before, rest[at + 1 :]


def normalize(location: str) -> str:
    """The PostgreSQL address to hand to libpq: blanks around it removed, the scheme as libpq spells it.
    Refuses (``invalid-value``, redacted) a password with unencoded ``@ / ? #``, which libpq would split
    at the wrong place (and then print the rest of it as a host name)."""
    rest = _url_rest(location)
    if rest is None:
        return location.strip()
    _scheme, tail = rest
    userinfo, _ = _split_userinfo(tail)
    if userinfo is not None and any(c in userinfo for c in _USERINFO_BREAKERS):
        raise SeedlockError(
            "invalid-value",
            f"Unsupported ledger {redact(location)}: the user name or password holds "
            f"an unencoded '@', '/', '?' or '#' (write them as %40, %2F, %3F, %23, "
            f"or give the password in PGPASSWORD or ~/.pgpass)",
        )
    return "postgresql://" + tail


def check_location(location: str) -> None:
    """Refuse (``invalid-value``, redacted) an address that is neither a file path nor a PostgreSQL address."""
    rest = _url_rest(location)
    if (rest is not None and not _is_postgres_scheme(rest[0])) or (rest is None and "://" in location):
        raise SeedlockError(
            "invalid-value",
            f"Unsupported ledger {redact(location)} (a file path, a postgresql:// "
            f"URL or a libpq keyword string such as 'host=… dbname=…')",
        )


def redact(location: str) -> str:
    """``location`` with every secret replaced by ``***``: a URL's password and ``?password=`` /
    ``?sslpassword=``, a keyword string's ``password=`` / ``sslpassword=``. Any URL scheme is treated
    alike, so a refused address is shown safely too."""
    rest = _url_rest(location)
    if rest is None:
        return _KEYWORD_SECRET.sub(lambda m: m.group(1) + MASK, location)
    head = location.strip()[: len(location.strip()) - len(rest[1])]
    userinfo, tail = _split_userinfo(rest[1])
    shown = ""
    if userinfo is not None:
        if any(c in userinfo for c in _USERINFO_BREAKERS):
            shown = MASK + "@"  # where the password ends cannot be told: show none of it
        elif ":" in userinfo:
            shown = userinfo.split(":", 1)[0] + ":" + MASK + "@"
        else:
            shown = userinfo + "@"
    if "?" in tail:
        before, query = tail.split("?", 1)
        fragment = ""
        if "#" in query:
            query, fragment = query.split("#", 1)
            fragment = "#" + fragment
        pairs = [(k, MASK if k.lower() in SECRET_KEYS else v) for k, v in parse_qsl(query, keep_blank_values=True)]
        tail = before + "?" + urlencode(pairs, safe="*") + fragment
    return head + shown + tail


def parameters(location: str) -> dict[str, str]:
    """What libpq reads from a PostgreSQL address (psycopg's parser); ``invalid-value`` naming only the
    kind of problem when it cannot (libpq's own message quotes the text, which may be the password)."""
    from psycopg import Error
    from psycopg.conninfo import conninfo_to_dict

    try:
        return {k: str(v) for k, v in conninfo_to_dict(normalize(location)).items() if v is not None}
    except Error as exc:
        kind = str(exc).split('"', 1)[0].strip().rstrip(":") or "unreadable"
        raise SeedlockError(
            "invalid-value", f"Unsupported ledger {redact(location)}: libpq cannot read it ({kind})"
        ) from None


def secrets_of(location: str, env: Mapping[str, str] | None = None) -> list[str]:
    """Every secret that could reach a message: the address's passwords as written (percent-encoded or
    quoted) and as libpq reads them, and ``PGPASSWORD``."""
    env = os.environ if env is None else env
    found: list[str] = []
    rest = _url_rest(location)
    if rest is not None:
        userinfo, tail = _split_userinfo(rest[1])
        if userinfo is not None and ":" in userinfo:
            raw = userinfo.split(":", 1)[1]
            found += [raw, unquote(raw)]
        if "?" in tail:
            for part in tail.split("?", 1)[1].split("#", 1)[0].split("&"):
                key, _, value = part.partition("=")
                if unquote(key).lower() in SECRET_KEYS:
                    found += [value, unquote(value)]
    else:
        for match in _KEYWORD_SECRET.finditer(location):
            value = match.group(2)
            found.append(value)
            if value.startswith("'"):
                found.append(re.sub(r"\\(.)", r"\1", value.strip("'")))
    if env.get("PGPASSWORD"):
        found.append(env["PGPASSWORD"])
    return [s for s in found if s]


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (longest first, so no fragment survives)."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def hide_from_ps(location: str) -> None:
    """Overwrite the secrets of ``location`` with ``*`` in this process's command line as the kernel
    shows it to every user (``ps``, ``/proc/PID/cmdline``): ``--ledger postgresql://u:PW@…``.

    Python keeps its own copy of the arguments; the kernel reads the original memory (``arg_start`` to
    ``arg_end`` in ``/proc/self/stat``), which this process may write. The password is visible from
    exec until this runs (interpreter start-up): PGPASSWORD or ~/.pgpass never show it at all."""
    if sys.platform != "linux":
        return
    secrets = sorted(
        {s.encode("utf-8", "surrogateescape") for s in secrets_of(location, {}) if len(s) > 0}, key=len, reverse=True
    )
    if not secrets:
        return
    try:
        with open("/proc/self/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[45]), int(fields[46])  # fields 48 and 49; the list starts at field 3
        import ctypes

        shown = ctypes.string_at(start, end - start)
        for secret in secrets:
            at = shown.find(secret)
            while at >= 0:
                ctypes.memmove(start + at, b"*" * len(secret), len(secret))
                shown = shown[:at] + b"*" * len(secret) + shown[at + len(secret) :]
                at = shown.find(secret, at + len(secret))
    except (OSError, ValueError, IndexError):
        pass  # no /proc, or an older kernel without these fields: nothing to overwrite
