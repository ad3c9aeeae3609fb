"""The last step of every log line the admin API sends: whatever looks like a secret goes.

Named values (password=…, "pass": "…", shash=…, token …, secret: …, Bearer …) lose their value;
anything shaped like the relay's random secrets (url-safe base64 of 16 bytes or more: shashes,
tokens, key secrets) is removed wherever it stands, named or not. A key id (`key_` and 16
characters) is public and stays.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

_NAMED = re.compile(
    r"""(?ix)
    (?P<name>["']?\b(?:password|passwd|pass|pwd|shash|token|secret|authorization)\b["']?)
    (?P<sep>\s*[:=]\s*|\s+)
    (?P<value>bearer\s+\S+|"[^"]*"|'[^']*'|[^\s,;&)}\]]+)
    """
)
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")
# 22+ url-safe characters with a digit or a mix of cases: the random secrets, never a key id.
_RANDOM = re.compile(
    r"(?<![A-Za-z0-9_-])(?!key_[A-Za-z0-9_-]{16}(?![A-Za-z0-9_-]))[A-Za-z0-9_-]{22,}"
)


def redact(text: str) -> str:
    """`text` with every secret-looking part replaced by "[redacted]"."""
    text = _NAMED.sub(lambda m: f"{m['name']}{m['sep']}{REDACTED}", text)
    text = _BEARER.sub(f"Bearer {REDACTED}", text)
    return _RANDOM.sub(_random_part, text)


def _random_part(match: re.Match[str]) -> str:
    value = match.group(0)
    looks_random = any(c.isdigit() for c in value) or (
        any(c.islower() for c in value) and any(c.isupper() for c in value)
    )
    return REDACTED if looks_random else value
