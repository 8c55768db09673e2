"""Review items for the campaign unit tests, built by hand: an item for person P<n> with access
to "SpEd Records" through an AD group, reviewed by E1 unless told otherwise."""

from __future__ import annotations

from campaigns.items import Item


def make_item(n: int, *, reviewer="E1", name="Ann Lee", flags=(), **over) -> Item:
    """``flags`` make it recommended for revocation; ``over`` sets any other field."""
    fields = dict(
        item_id=f"I{n:04d}",
        subject=f"person:P{n}",
        name=name,
        employee_id=f"P{n}",
        title="Teacher",
        building="North",
        accounts=(f"ad:account:{n}",),
        account_labels=(f"ad:user{n}",),
        resource="SpEd Records",
        classification="confidential",
        level="read",
        paths=((f"ad:account:{n}", "ad:group:g", "inventory:SpEd Records"),),
        path_text=f"ad account user{n} → ad group 'SpEd Staff'",
        flags=tuple(flags),
        recommendation="revoke" if flags else "keep",
        reason="x",
        reviewer=reviewer,
        reviewer_name="Dana Boss",
        reviewer_email="dana@d.org",
    )
    fields.update(over)
    return Item(**fields)
