"""`campaign links`: which reviewer has a working link to the web review page, and the ISO's
two remedies — revoke a link (a lost phone, a forwarded e-mail), or reissue it (revoke, make a
new one and e-mail it). Every change is audit-logged with who made it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from access_review import audit
from access_review.errors import AccessReviewError

from .delivery import Delivery, send_campaign
from .items import reviewers_of
from .links import base_url, build_token, link_key, link_url, reissue_link
from .rules import check_answers_open
from .store import Campaign, CampaignStore, LinkRecord


@dataclass(frozen=True)
class ReviewerLink:
    reviewer: str
    name: str
    email: str
    active: LinkRecord | None
    revoked: int  # earlier links of theirs that no longer work


def _reviewer_key(cstore: CampaignStore, campaign: Campaign, wanted: str) -> str:
    everyone = reviewers_of(cstore.items(campaign.id))
    lookup = {k.lower(): k for k in everyone} | {
        r.email.lower(): k for k, r in everyone.items() if r.email
    }
    key = lookup.get(wanted.strip().lower())
    if key is None:
        raise AccessReviewError(
            f"no reviewer {wanted!r} in {campaign.label}",
            hint="reviewers: " + ", ".join(sorted(everyone)),
        )
    return key


def list_links(store, campaign_id: str | int | None = None) -> tuple[Campaign, list[ReviewerLink]]:
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    records = cstore.links(campaign.id)
    out = []
    for key, r in sorted(
        reviewers_of(cstore.items(campaign.id)).items(), key=lambda kv: kv[1].name.casefold()
    ):
        mine = [x for x in records if x.reviewer == key]
        active = next((x for x in reversed(mine) if x.active), None)
        out.append(ReviewerLink(key, r.name, r.email, active, sum(1 for x in mine if not x.active)))
    return campaign, out


@dataclass(frozen=True)
class LinkChange:
    campaign: Campaign
    reviewer: str
    name: str
    url: str = ""  # the new link, when it was not e-mailed
    deliveries: tuple[Delivery, ...] = ()  # the message that carried it


def revoke(store, reviewer: str, campaign_id: str | int | None = None) -> LinkChange:
    """The reviewer's link stops working at once (their open page too); no new one is made."""
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    key = _reviewer_key(cstore, campaign, reviewer)
    by = audit.current_actor()
    count = cstore.revoke_links(campaign.id, key, by, "revoked")
    if not count:
        raise AccessReviewError(f"{reviewer} has no working link in {campaign.label}")
    audit.append(store, "campaign.link.revoke", {"campaign": campaign.id, "reviewer": key})
    return LinkChange(campaign, key, reviewers_of(cstore.items(campaign.id))[key].name)


def reissue(
    store,
    config,
    reviewer: str,
    campaign_id: str | int | None = None,
    *,
    email: bool = True,
    today: date | None = None,
) -> LinkChange:
    """Replace the reviewer's link: the old one shows "replaced" from now on. With ``[smtp]``
    set (and ``email``) the review message goes to them again with the new link (recorded as a
    resend); otherwise the new link is returned for the ISO to hand over."""
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    check_answers_open(campaign.id, campaign.state)
    base = base_url(config)
    if not base:
        raise AccessReviewError(
            "no [web] base_url in the config: there is no review page to link to",
            hint='set [web] base_url = "https://review.district.example.org"',
        )
    key = _reviewer_key(cstore, campaign, reviewer)
    record = reissue_link(cstore, campaign, key, audit.current_actor())
    audit.append(store, "campaign.link.reissue", {"campaign": campaign.id, "reviewer": key})
    name = reviewers_of(cstore.items(campaign.id))[key].name
    if email and config.section("smtp").get("host"):
        sent = send_campaign(store, config, campaign.id, resend=True, only=[key], today=today)
        return LinkChange(campaign, key, name, deliveries=tuple(sent))
    return LinkChange(
        campaign,
        key,
        name,
        url=link_url(base, build_token(link_key(config), campaign.id, key, record.link_id)),
    )
