"""Platform signatures, in plain Python (see ../shared/CHANNELS.md).

- **Meituan Waimai**: every parameter but ``sig``, sorted by name, joined as ``k=v`` with
  ``&`` (empty values kept as ``k=``), then ``url + "?" + joined + secret`` where ``url``
  is the URL exactly as registered with the platform (no query); ``md5`` in lowercase hex,
  compared case-insensitively. The same rule signs our calls to its API (the API URL as
  base).
- **Ele.me push**: the envelope's keys but ``signature``, sorted, concatenated as
  ``key=value`` with no separator, then the secret; ``md5`` in uppercase hex.
- **Ele.me API call**: ``action + token + sorted(metas and params as key=<compact JSON of
  the value>) + secret``; ``md5`` in uppercase hex.
- **generic**: exactly our outbound webhooks (:func:`omniloop.webhooks.domain.verify`).

MD5 is the platforms' choice, not ours; comparisons are constant-time all the same.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

MEITUAN_SIGNATURE_FIELD = "sig"
ELEME_SIGNATURE_FIELD = "signature"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def meituan_base_string(url: str, params: Mapping[str, str], secret: str) -> str:
    """What Meituan hashes: ``url?k1=v1&k2=v2...secret`` over every param but ``sig``."""
    joined = "&".join(
        f"{name}={params[name]}" for name in sorted(params) if name != MEITUAN_SIGNATURE_FIELD
    )
    return f"{url}?{joined}{secret}"


def meituan_signature(url: str, params: Mapping[str, str], secret: str) -> str:
    """The ``sig`` of ``params`` sent to (or from) ``url``: lowercase hex MD5."""
    return _md5(meituan_base_string(url, params, secret))


def meituan_verifies(url: str, params: Mapping[str, str], secret: str) -> bool:
    """True when ``params["sig"]`` signs the other params for ``url`` and ``secret``."""
    given = params.get(MEITUAN_SIGNATURE_FIELD)
    if not given:
        return False
    return _same(meituan_signature(url, params, secret), given)


def eleme_signature(envelope: Mapping[str, str], secret: str) -> str:
    """The ``signature`` of an Ele.me push envelope (values as they appear on the wire)."""
    joined = "".join(
        f"{key}={envelope[key]}" for key in sorted(envelope) if key != ELEME_SIGNATURE_FIELD
    )
    return _md5(joined + secret).upper()


def eleme_verifies(envelope: Mapping[str, str], secret: str) -> bool:
    given = envelope.get(ELEME_SIGNATURE_FIELD)
    if not given:
        return False
    return _same(eleme_signature(envelope, secret).lower(), given)


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def eleme_api_signature(
    *,
    action: str,
    token: str,
    metas: Mapping[str, Any],
    params: Mapping[str, Any],
    secret: str,
) -> str:
    """The ``signature`` of an Ele.me open-API call (an RPC envelope we send)."""
    merged = {**metas, **params}
    joined = "".join(f"{key}={_compact_json(merged[key])}" for key in sorted(merged))
    return _md5(action + token + joined + secret).upper()
