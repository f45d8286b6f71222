"""Mapping a platform order to our codes, in plain Python.

Store codes map to location codes through the connection's ``store_map`` and item codes to
SKUs through its ``sku_map``. An explicit entry for any of an item's candidate codes wins;
otherwise a candidate that already is one of our codes is taken as is (identity by
default). A code that matches neither, or an entry pointing at a code we do not have,
leaves the order :class:`Unmapped`: the push is held for review, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from omniloop.channels.domain import MappedLine, MappedOrder, ParsedOrder


@dataclass(frozen=True)
class Unmapped:
    """Codes that match neither the connection's maps nor our own codes."""

    unknown_store: str | None
    unknown_items: tuple[tuple[str, ...], ...]

    @property
    def reason(self) -> str:
        parts = []
        if self.unknown_store is not None:
            parts.append(f"unknown store code {self.unknown_store!r}: add it to store_map")
        if self.unknown_items:
            named = ", ".join(" / ".join(repr(c) for c in codes) for codes in self.unknown_items)
            parts.append(f"unknown item codes {named}: add them to sku_map")
        return "; ".join(parts)


def _resolve(candidates: Iterable[str], mapping: Mapping[str, str], known: set[str]) -> str | None:
    """An explicit mapping of any candidate wins; else a candidate that is already ours."""
    candidates = [c for c in candidates if c]
    for code in candidates:
        if code in mapping:
            target = mapping[code]
            return target if target in known else None
    return next((code for code in candidates if code in known), None)


def codes_to_look_up(
    order: ParsedOrder, *, store_map: Mapping[str, str], sku_map: Mapping[str, str]
) -> tuple[set[str], set[str]]:
    """The location codes and SKUs whose existence decides :func:`map_order`."""
    locations = {store_map.get(code, code) for code in order.store_codes if code}
    skus = {sku_map.get(code, code) for item in order.items for code in item.codes if code}
    return locations, skus


def map_order(
    order: ParsedOrder,
    *,
    order_channel: str,
    store_map: Mapping[str, str],
    sku_map: Mapping[str, str],
    known_locations: set[str],
    known_skus: set[str],
) -> MappedOrder | Unmapped:
    """The order in our codes, or what could not be mapped."""
    location = _resolve(order.store_codes, store_map, known_locations)
    lines: list[MappedLine] = []
    unknown_items: list[tuple[str, ...]] = []
    for item in order.items:
        sku = _resolve(item.codes, sku_map, known_skus)
        if sku is None:
            unknown_items.append(tuple(c for c in item.codes if c) or ("(no code)",))
            continue
        lines.append(
            MappedLine(
                sku=sku,
                qty=item.qty,
                unit_price=item.unit_price,
                name=item.name,
                platform_code=next((c for c in item.codes if c), sku),
                spec=item.spec,
                note=item.note,
            )
        )
    if location is None or unknown_items:
        store = next((c for c in order.store_codes if c), "(no code)")
        return Unmapped(
            unknown_store=None if location is not None else store,
            unknown_items=tuple(unknown_items),
        )
    return MappedOrder(
        channel=order_channel,
        external_id=order.external_id,
        location_code=location,
        lines=tuple(lines),
        fees=order.fees,
        discounts=order.discounts,
        total=order.total,
        customer=order.customer,
        address=order.address,
        note=order.note,
        placed_at=order.placed_at,
        requested_time=order.requested_time,
        prepaid=order.prepaid,
        platform=order.platform,
        store_code=next(c for c in order.store_codes if c),
        platform_ids=dict(order.platform_ids),
        currency=order.currency,
    )
