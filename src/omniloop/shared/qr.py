"""QR codes, rendered by ``segno``."""

from __future__ import annotations

import segno


def qr_svg(payload: str, *, title: str = "QR code") -> str:
    """The QR code of ``payload`` as an inline ``<svg>`` element (error correction M)."""
    return str(segno.make(payload, error="m").svg_inline(scale=4, title=title))
