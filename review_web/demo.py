"""`access-review demo --serve`: the demo district reviewed in a browser. A campaign for the
demo's quarter is created and sent (workbooks written beside the demo, no e-mail), every
reviewer gets a personal link to this machine's page, and the links are handed back to be
printed — the demo has no mail server to carry them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from access_review.analysis import Analysis
from access_review.audit_key import AuditKeySource
from access_review.config import Config, load_config
from access_review.store import Store
from campaigns.delivery import review_links, send_campaign
from campaigns.items import reviewers_of
from campaigns.lifecycle import create_campaign
from campaigns.store import CampaignStore

DEMO_DISTRICT = "Demo School District"


@dataclass(frozen=True)
class DemoLink:
    reviewer: str
    name: str
    items: int
    flagged: int
    url: str


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def add_web_settings(config_path: Path, port: int) -> Config:
    """Point the demo's links at this machine's page (plain http is allowed on loopback only)."""
    text = config_path.read_text(encoding="utf-8")
    if "\n[web]" not in text:
        text += (
            f'\n[web]\ndistrict_name = "{DEMO_DISTRICT}"\nbase_url = "http://127.0.0.1:{port}"\n'
            f'host = "127.0.0.1"\nport = {port}\n'
        )
        config_path.write_text(text, encoding="utf-8")
    return load_config(config_path)


def prepare_demo_review(
    config_path: Path, analysis: Analysis, port: int
) -> tuple[Config, list[DemoLink]]:
    cfg = add_web_settings(config_path, port)
    folder = config_path.parent / "review-workbooks"
    with Store(
        cfg.store_path, audit_key=AuditKeySource.from_settings(cfg.section("audit"))
    ) as store:
        campaign, items = create_campaign(
            store,
            analysis,
            quarter=quarter_of(analysis.today),
            today=analysis.today,
            default="recommendation",
        )
        send_campaign(store, cfg, campaign.id, out=folder, today=analysis.today)
        cstore = CampaignStore(store)
        people = reviewers_of(items)
        urls = review_links(store, cstore, cstore.get(campaign.id), cfg, list(people))
    links = [
        DemoLink(
            k,
            r.name,
            sum(1 for i in items if i.reviewer == k),
            sum(1 for i in items if i.reviewer == k and i.flagged),
            urls[k],
        )
        for k, r in people.items()
    ]
    links.sort(key=lambda x: (-x.items, x.name.casefold()))
    return cfg, links
