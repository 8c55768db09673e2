"""The review page as a Starlette application.

Why Starlette (with Jinja2, under uvicorn): a small, well-kept ASGI toolkit (the core FastAPI is
built on) that gives exactly what a page of plain forms needs — routing, form parsing, cookies,
static files, Jinja2 templates — without an API framework's validation and OpenAPI machinery
this page does not use. Every store call runs in Starlette's thread pool: SQLite is blocking.

The flow:

  GET  /r/{token}           a personal link: checked (signature, the reviewer's link in force,
                            campaign open), rate limited per client; sets the session cookie
                            and moves on to /review so the token leaves the address bar
  GET  /review              the reviewer's items, their answers so far, progress
  POST /review/answer       one answer (Keep / Revoke, justification), saved at once
  POST /review/accept-all   our recommendation for every unflagged item not yet answered
  POST /review/finish       the reviewer says they are done → /review/done

Every answer goes through ``campaigns.answers.answer_items``: the same rules, the same store
and the same audit log as a returned workbook, recorded "via web" with the reviewer and the
client address. Every form carries a CSRF token tied to the session; a POST from another
origin is refused. Anything that is not a working review — no session, a tampered, replaced,
revoked or foreign link, a closed campaign — is a clear page, never an error.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from access_review import audit
from access_review.audit_key import AuditKeySource
from access_review.config import Config
from access_review.errors import AccessReviewError
from access_review.store import Store
from campaigns.answers import VIA_WEB, AnswersRejected, GivenAnswer, answer_items
from campaigns.links import LinkGrant, LinkRefused, LinkToken, check_link, read_token
from campaigns.model import CampaignStateError
from campaigns.remediation import default_of
from campaigns.store import CampaignStore, ClosedForAnswers

from .attempts import AttemptLimiter
from .display import visible
from .headers import SecurityHeaders
from .page import ReviewPage, build_review_page, recommendations_to_accept, saved_text
from .session import (
    COOKIE_PLAIN,
    COOKIE_SECURE,
    SESSION_HOURS,
    Session,
    csrf_ok,
    csrf_token,
    new_session,
    read_session,
    write_session,
)

HERE = Path(__file__).resolve().parent
log = logging.getLogger("access_review.web")
MAX_BODY = 64 * 1024  # a form of one answer; a justification is at most 2,000 characters

# What each page that is not the review says; (status, title, sentences). {…} are filled in.
MESSAGES: dict[str, tuple[int, str, tuple[str, ...]]] = {
    "no_session": (
        401,
        "Open your review from the e-mail",
        (
            "This page opens with the personal link in your e-mail about the access review.",
            "Open that e-mail and select \u201cOpen your review\u201d. If you opened it more than "
            f"{SESSION_HOURS} hours ago, select it again.",
        ),
    ),
    "invalid": (
        404,
        "This link does not work",
        (
            "The link is not a working review link: it may have been cut short when it was copied.",
            "Open it again from the e-mail, or ask {iso} for a new one.",
        ),
    ),
    "replaced": (
        410,
        "This link has been replaced",
        (
            "A newer link to your review was sent to you. Please use the most recent e-mail about the "
            "access review {quarter}.",
            "Your answers so far are kept.",
        ),
    ),
    "revoked": (
        410,
        "This link has been turned off",
        (
            "The Information Security Officer turned this link off. Your answers so far are kept.",
            "To continue your review, ask {iso} for a new link.",
        ),
    ),
    "closed": (
        410,
        "This review has closed",
        (
            "The access review {quarter} closed on {closed}. Answers can no longer be given or changed.",
            "Thank you: nothing more is needed from you for this review.",
        ),
    ),
    "not_open": (
        409,
        "This review has not started yet",
        (
            "The access review {quarter} has not been sent out yet. Please use the link in the e-mail "
            "that asks for your review.",
        ),
    ),
    "csrf": (
        403,
        "Please reload your review",
        (
            "For your safety, this answer was not saved: the page it came from is no longer valid.",
            "Go back to your review and answer again; the answers you saved before are kept.",
        ),
    ),
    "too_many": (
        429,
        "Too many attempts",
        ("Too many links were tried from your connection. Please wait {wait} and try again.",),
    ),
    "busy": (
        503,
        "Please try again in a moment",
        (
            "Your answer could not be saved just now. Nothing was lost: your answers so far are kept.",
            "Please try again in a minute.",
        ),
    ),
    "error": (
        500,
        "Something went wrong",
        (
            "Your answers so far are kept. Please try again in a few minutes.",
            "If it keeps happening, please tell {iso}.",
        ),
    ),
}


@dataclass
class WebContext:
    config: Config
    key: bytes
    clock: Callable[[], float]
    today: Callable[[], date]
    link_limiter: AttemptLimiter
    write_lock: threading.Lock

    @property
    def district(self) -> str:
        return str(self.config.section("web").get("district_name", "") or "")

    def open_store(self) -> Store:
        return Store(
            self.config.store_path,
            audit_key=AuditKeySource.from_settings(self.config.section("audit")),
        )


def build_templates() -> Jinja2Templates:
    # autoescape on for every template; ``finalize`` makes control and bidi characters in
    # data visible before escaping; StrictUndefined: a misspelt name fails the tests.
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        finalize=visible,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)


TEMPLATES = build_templates()


def build_app(
    config: Config,
    key: bytes,
    *,
    clock: Callable[[], float] = time.time,
    today: Callable[[], date] | None = None,
    link_attempts: tuple[int, float] = (20, 600.0),
) -> Starlette:
    """The application. ``link_attempts``: (attempts, seconds) one client address may make at
    /r/ links before it is asked to wait."""
    ctx = WebContext(
        config,
        key,
        clock,
        today or (lambda: datetime.now(timezone.utc).date()),
        AttemptLimiter(*link_attempts),
        threading.Lock(),
    )
    routes = [
        Route("/", home),
        Route("/r/{token}", open_link),
        Route("/review", review),
        Route("/review/answer", answer, methods=["POST"]),
        Route("/review/accept-all", accept_all, methods=["POST"]),
        Route("/review/finish", finish, methods=["POST"]),
        Route("/review/done", done),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={500: server_error, 404: not_found, 405: not_found},
        max_body_size=MAX_BODY,
    )
    app.state.ctx = ctx
    return app


# ---------------------------------------------------------------- helpers


def _ctx(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


def client_of(request: Request) -> str:
    """The client's address (uvicorn puts the proxy's X-Forwarded-For here only when told to
    believe that proxy)."""
    return request.client.host if request.client else "unknown"


def wants_json(request: Request) -> bool:
    return request.headers.get("accept", "").startswith("application/json")


def _common(ctx: WebContext, quarter: str = "") -> dict[str, Any]:
    iso = ctx.config.iso
    return {
        "district": ctx.district,
        "iso_name": iso.name or "the Information Security Officer",
        "iso_email": iso.email,
        "quarter": quarter,
    }


def message(
    request: Request,
    kind: str,
    *,
    quarter: str = "",
    closed: str = "",
    wait: float = 0,
    headers: dict[str, str] | None = None,
) -> Response:
    ctx = _ctx(request)
    status, title, sentences = MESSAGES[kind]
    iso = ctx.config.iso
    who = (
        f"{iso.name} ({iso.email})"
        if iso.name and iso.email
        else (iso.email or "the Information Security Officer")
    )
    minutes = max(1, round(wait / 60))
    fill = {
        "iso": who,
        "quarter": quarter or "",
        "closed": closed or "its closing date",
        "wait": f"{minutes} minute{'s' if minutes != 1 else ''}",
    }
    lines = [s.format(**fill) for s in sentences]
    if wants_json(request):
        return JSONResponse(
            {"ok": False, "page": kind, "title": title, "message": " ".join(lines)},
            status_code=status,
            headers=headers,
        )
    return TEMPLATES.TemplateResponse(
        request,
        "message.html",
        {
            **_common(ctx, quarter),
            "title": title,
            "lines": lines,
            "kind": kind,
            "back": kind in ("csrf", "busy", "error"),
        },
        status_code=status,
        headers=headers,
    )


def _refused(request: Request, exc: LinkRefused) -> Response:
    c = exc.campaign
    closed = (
        f"{datetime.fromisoformat(c.closed_at):%B %d, %Y}" if c is not None and c.closed_at else ""
    )
    log.info("review link refused (%s) from %s", exc.kind, client_of(request))
    return message(request, exc.kind, quarter=c.quarter if c else "", closed=closed)


def _session(request: Request) -> Session | None:
    ctx = _ctx(request)
    return read_session(
        ctx.key,
        request.cookies.get(COOKIE_SECURE) or request.cookies.get(COOKIE_PLAIN),
        ctx.clock(),
    )


def _same_origin(request: Request) -> bool:
    """A browser names the page a POST comes from; one from another site is refused (the CSRF
    token refuses it too: this says so before anything is read)."""
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


async def _with_review(
    request: Request, work: Callable[[Store, CampaignStore, LinkGrant], Any]
) -> tuple[Any, Response | None]:
    """Run ``work`` in the thread pool with the session's grant re-checked against the store:
    (result, None), or (None, the page to show instead)."""
    session = _session(request)
    if session is None:
        return None, message(request, "no_session")
    ctx = _ctx(request)

    def run() -> Any:
        with ctx.open_store() as store:
            cstore = CampaignStore(store)
            grant = check_link(
                cstore, LinkToken(session.campaign_id, session.reviewer, session.link_id)
            )
            return work(store, cstore, grant)

    try:
        return await run_in_threadpool(run), None
    except LinkRefused as exc:
        return None, _refused(request, exc)
    except (ClosedForAnswers, CampaignStateError):
        return None, message(request, "closed")


# ---------------------------------------------------------------- the link


async def home(request: Request) -> Response:
    if _session(request) is not None:
        return RedirectResponse("/review", status_code=303)
    return message(request, "no_session")


async def open_link(request: Request) -> Response:
    ctx = _ctx(request)
    client = client_of(request)
    wait = ctx.link_limiter.wait_for(client)
    if wait:
        log.warning("too many link attempts from %s", client)
        return message(request, "too_many", wait=wait, headers={"Retry-After": str(int(wait))})
    token = read_token(ctx.key, request.path_params["token"])

    def run() -> tuple[LinkGrant, Session]:
        with ctx.open_store() as store:
            grant = check_link(CampaignStore(store), token)
            session = new_session(grant.campaign.id, grant.reviewer, grant.link_id, ctx.clock())
            with ctx.write_lock:
                audit.append(
                    store,
                    "campaign.link.open",
                    {"campaign": grant.campaign.id, "reviewer": grant.reviewer, "client": client},
                    actor=f"{VIA_WEB}:{grant.reviewer}",
                )
            return grant, session

    try:
        grant, session = await run_in_threadpool(run)
    except LinkRefused as exc:
        return _refused(request, exc)
    # A page that moves on by itself rather than a 303: a SameSite=Strict cookie is not sent on a
    # navigation that a link in another site (the webmail) started, redirects included; a
    # navigation this page starts is same-site, so the cookie goes with it.
    # https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Set-Cookie#strict
    response = TEMPLATES.TemplateResponse(
        request,
        "opening.html",
        {**_common(ctx, grant.campaign.quarter), "title": "Opening your review"},
    )
    secure = request.url.scheme == "https"
    response.set_cookie(
        COOKIE_SECURE if secure else COOKIE_PLAIN,
        write_session(ctx.key, session),
        max_age=SESSION_HOURS * 3600,
        path="/",
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    if secure:
        response.delete_cookie(COOKIE_PLAIN, path="/")
    return response


# ---------------------------------------------------------------- the page


def _page_context(
    ctx: WebContext, store: Store, cstore: CampaignStore, grant: LinkGrant
) -> dict[str, Any]:
    c = grant.campaign
    items = cstore.items(c.id, reviewer=grant.reviewer)
    decisions = cstore.effective_decisions(c.id, reviewer=grant.reviewer)
    name = items[0].reviewer_name if items else grant.reviewer
    page = build_review_page(c, name, items, decisions, default_of(c, ctx.config), ctx.today())
    return {"page": page, "items": items, "decisions": decisions}


def _render_review(
    request: Request,
    data: dict[str, Any],
    *,
    notice: str = "",
    errors: dict[str, tuple[str, str]] | None = None,
    pending: dict[str, tuple[str, str]] | None = None,
    status: int = 200,
) -> Response:
    ctx = _ctx(request)
    page = data["page"]
    session = _session(request)
    return TEMPLATES.TemplateResponse(
        request,
        "review.html",
        {
            **_common(ctx, page.quarter),
            "title": f"Your access review {page.quarter}",
            "page": page,
            "csrf": csrf_token(ctx.key, session) if session else "",
            "notice": notice,
            "errors": errors or {},
            "first_error": next(iter(errors or {}), ""),
            "pending": pending or {},
        },
        status_code=status,
    )


async def review(request: Request) -> Response:
    ctx = _ctx(request)
    data, refusal = await _with_review(
        request, lambda store, cstore, grant: _page_context(ctx, store, cstore, grant)
    )
    if refusal is not None:
        return refusal
    notice = ""
    saved, accepted = request.query_params.get("saved"), request.query_params.get("accepted")
    if saved:
        notice = "Your answer was saved."
    elif accepted and accepted.isdigit():
        notice = (
            f"Our recommendation was accepted for {accepted} item{'s' if accepted != '1' else ''}."
        )
    return _render_review(request, data, notice=notice)


async def _checked_form(request: Request) -> FormData | Response:
    """The form of a POST from this session's own page, else the refusal page."""
    form = await request.form()
    session = _session(request)
    if session is None:
        return message(request, "no_session")
    # (_text: a multipart form may carry a file where the token goes; that is no token.)
    if not _same_origin(request) or not csrf_ok(_ctx(request).key, session, _text(form, "csrf")):
        log.warning("form refused (CSRF) from %s", client_of(request))
        return message(request, "csrf")
    return form


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def answer(request: Request) -> Response:
    ctx = _ctx(request)
    form = await _checked_form(request)
    if isinstance(form, Response):  # refused
        return form
    item_id, decision, justification = (
        _text(form, "item"),
        _text(form, "decision"),
        _text(form, "justification"),
    )
    client = client_of(request)

    def work(
        store: Store, cstore: CampaignStore, grant: LinkGrant
    ) -> tuple[AnswersRejected | None, Any]:
        try:
            with ctx.write_lock:
                answer_items(
                    store,
                    grant.campaign.id,
                    grant.reviewer,
                    [GivenAnswer(item_id, decision, justification)],
                    via=VIA_WEB,
                    client=client,
                )
        except AnswersRejected as exc:
            # Without JavaScript the whole page comes back, with the error at the item.
            return exc, None if wants_json(request) else _page_context(ctx, store, cstore, grant)
        if not wants_json(request):
            return None, None
        # The page's script needs only the item's new state and the progress: read just that.
        now = cstore.effective_decisions(grant.campaign.id, items=[item_id]).get(item_id)
        return None, (saved_text(now), *cstore.progress(grant.campaign.id, grant.reviewer))

    result, refusal = await _with_review(request, work)
    if refusal is not None:
        return refusal
    problem, data = result
    if problem is not None:
        p = problem.problems[0]
        if wants_json(request):
            return JSONResponse(
                {"ok": False, "item": item_id, "field": p.field, "message": p.message},
                status_code=422,
            )
        errors = {p.item_id: (p.field, p.message)}
        return _render_review(
            request, data, errors=errors, pending={item_id: (decision, justification)}, status=422
        )
    if wants_json(request):
        status, decided, total = data
        return JSONResponse(
            {
                "ok": True,
                "item": item_id,
                "status": status,
                "decided": decided,
                "total": total,
                "progress": f"{decided} of {total} decided",
                "done": total > 0 and decided == total,
            }
        )
    return RedirectResponse(f"/review?saved={item_id}#item-{item_id}", status_code=303)


async def accept_all(request: Request) -> Response:
    ctx = _ctx(request)
    form = await _checked_form(request)
    if isinstance(form, Response):  # refused
        return form
    client = client_of(request)

    def work(store: Store, cstore: CampaignStore, grant: LinkGrant) -> int:
        with ctx.write_lock:
            c = grant.campaign
            items = cstore.items(c.id, reviewer=grant.reviewer)
            pairs = recommendations_to_accept(
                items, cstore.effective_decisions(c.id, reviewer=grant.reviewer)
            )
            if pairs:
                answer_items(
                    store,
                    c.id,
                    grant.reviewer,
                    [GivenAnswer(i, d) for i, d in pairs],
                    via=VIA_WEB,
                    client=client,
                    action="campaign.answer.accept_recommendations",
                )
        return len(pairs)

    accepted, refusal = await _with_review(request, work)
    if refusal is not None:
        return refusal
    return RedirectResponse(f"/review?accepted={accepted}#summary", status_code=303)


async def finish(request: Request) -> Response:
    ctx = _ctx(request)
    form = await _checked_form(request)
    if isinstance(form, Response):  # refused
        return form
    client = client_of(request)

    def work(store: Store, cstore: CampaignStore, grant: LinkGrant) -> ReviewPage:
        data = _page_context(ctx, store, cstore, grant)
        page: ReviewPage = data["page"]
        with ctx.write_lock:
            audit.append(
                store,
                "campaign.web.finish",
                {
                    "campaign": grant.campaign.id,
                    "reviewer": grant.reviewer,
                    "client": client,
                    "decided": page.decided,
                    "items": page.total,
                },
                actor=f"{VIA_WEB}:{grant.reviewer}",
            )
        return page

    _, refusal = await _with_review(request, work)
    if refusal is not None:
        return refusal
    return RedirectResponse("/review/done", status_code=303)


async def done(request: Request) -> Response:
    ctx = _ctx(request)
    data, refusal = await _with_review(
        request, lambda store, cstore, grant: _page_context(ctx, store, cstore, grant)
    )
    if refusal is not None:
        return refusal
    page = data["page"]
    return TEMPLATES.TemplateResponse(
        request, "done.html", {**_common(ctx, page.quarter), "title": "Thank you", "page": page}
    )


# ---------------------------------------------------------------- errors


async def not_found(request: Request, exc: Exception) -> Response:
    return message(request, "invalid")


async def server_error(request: Request, exc: Exception) -> Response:
    # Another process held the store's write lock past the busy timeout (a very long write):
    # nothing was saved, and the reviewer is told so.
    if (
        isinstance(exc, (sqlite3.OperationalError, AccessReviewError))
        and "locked" in str(exc).lower()
    ):
        return message(request, "busy")
    log.error("review page error: %s: %s", type(exc).__name__, exc)
    return message(request, "error")
