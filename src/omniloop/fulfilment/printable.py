"""The printable HTML delivery note (no template engine: every value goes through escape)."""

from __future__ import annotations

from datetime import datetime
from html import escape

from omniloop.fulfilment.schemas import DeliveryNoteOut


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def render_delivery_note(note: DeliveryNoteOut) -> str:
    """A self-contained A5-friendly page with the same content as the JSON note."""
    rows = "\n".join(
        f"<tr><td>{_e(i.sku)}</td><td>{_e(i.name)}</td><td class=qty>{_e(i.qty)}</td></tr>"
        for i in note.items
    )
    loc, cust, addr = note.location, note.customer, note.address
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Delivery note {_e(note.number)}</title>
<style>
body {{ font-family: sans-serif; max-width: 40em; margin: 1em auto; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #999; padding: .2em .4em; text-align: left; }}
.qty {{ text-align: right; }}
@media print {{ a {{ color: black; text-decoration: none; }} }}
</style>
</head>
<body>
<h1>Delivery note {_e(note.number)}</h1>
<p>Status: <strong>{_e(note.status)}</strong> &middot; Channel: {_e(note.channel)}
&middot; Ordered: {_e(_time(note.created_at))}</p>
<h2>From</h2>
<p>{_e(loc.name)} ({_e(loc.code)})<br>{_e(loc.address)}<br>{loc.lat:.6f}, {loc.lng:.6f}</p>
<h2>To</h2>
<p>{_e(cust.name)}<br>{_e(cust.phone)}<br>{_e(addr.text)}<br>{addr.lat:.6f}, {addr.lng:.6f}</p>
<h2>Items</h2>
<table>
<tr><th>SKU</th><th>Item</th><th class=qty>Qty</th></tr>
{rows}
</table>
<h2>Route</h2>
<p>Distance (straight line): {note.distance_km:.2f} km<br>
ETA: {note.eta.minutes} min (preparation {note.eta.preparation_minutes} min, travel
{note.eta.travel_minutes} min), about {_e(_time(note.eta.at))}<br>
Requested: {_e(_time(note.requested_time))}<br>
<a href="{_e(note.navigation_url)}">{_e(note.navigation_url)}</a></p>
<p>Note: {_e(note.note)}</p>
<p><small>Printed {_e(_time(note.generated_at))}</small></p>
</body>
</html>
"""
