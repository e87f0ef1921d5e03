"""Jinja2 rendering with the context every page needs: principal, CSRF token, navigation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from frontier_review.db.uow import Rules
from frontier_review.kernel import authz
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.web.deps import csrf_token, web_hooks
from frontier_review.web.problems import flash

# ``flash`` lives with the web error handler (which flashes too) and is re-exported for pages.
__all__ = ["NAVIGATION", "NavItem", "flash", "nav_for", "render", "templates", "time_left", "time_tag"]

templates = Jinja2Templates(directory=str(files("frontier_review.web") / "templates"))


@dataclass(frozen=True)
class NavItem:
    """A navigation link and who gets it.

    Attributes:
        label: the link text.
        href: where it goes.
        kinds: the organization kinds whose people use the section (everyone when empty).
        permission: shown only to people the rules allow this on their own organization.
        personal: the reader's own things (organization, mail, account), listed apart from the sections.
        also: other path prefixes that belong to the section (for marking it current).
    """

    label: str
    href: str
    kinds: frozenset[OrgKind] = frozenset()
    permission: Permission | None = None
    personal: bool = False
    also: tuple[str, ...] = ()

    def visible_to(self, rules: Rules, principal: Principal, now: datetime) -> bool:
        if self.kinds and principal.org_kind not in self.kinds:
            return False
        if self.href == "/organization" and principal.org_id is None:
            return False
        if self.permission is not None:
            return authz.decide(rules, principal, self.permission, principal.org_id, now).allowed
        return True

    def current(self, path: str, principal: Principal | None = None) -> str | None:
        """``page`` on the item's own page, ``true`` anywhere else in its section, else None (for aria-current)."""
        if path == self.href:
            return "page"
        own = f"/organizations/{principal.org_id}" if principal is not None and principal.org_id is not None else None
        if self.href == "/organization":
            return "page" if path == own else None
        if self.href == "/" or (own is not None and path == own):
            return None
        prefixes = (self.href, *self.also)
        return "true" if any(path == p or path.startswith(p + "/") for p in prefixes) else None


_DEVELOPER = frozenset({OrgKind.DEVELOPER})
_COVERAGE = frozenset({OrgKind.DEVELOPER, OrgKind.PROGRAM_OFFICE})
_PARTIES = frozenset({OrgKind.DEVELOPER, OrgKind.PROGRAM_OFFICE, OrgKind.AGENCY, OrgKind.PARTNER})

# Each role sees only the sections it works in. Reviewers (agencies, trusted partners) work in
# engagements; the coverage pages are the developer's and the program office's; operators run
# organizations and the audit log. Models are the developer's registry (the program office reaches
# versions through inquiries and benchmarks).
NAVIGATION: list[NavItem] = [
    NavItem("Home", "/"),
    NavItem("Models", "/models", kinds=_DEVELOPER, also=("/versions",)),
    NavItem("Engagements", "/engagements", kinds=_PARTIES),
    # clearinghouse: reports. Every member organization may report; the program office reaches the
    # hub by its URL (its navigation is full already).
    NavItem("Clearinghouse", "/clearinghouse", kinds=frozenset(OrgKind) - {OrgKind.PROGRAM_OFFICE}),
    NavItem("Coverage inquiries", "/coverage/inquiries", kinds=_COVERAGE, also=("/coverage/determinations",)),
    NavItem("Policies", "/coverage/policies", kinds=_COVERAGE, also=("/coverage/policy-diff",)),
    NavItem("Benchmarks", "/evals", kinds=frozenset({OrgKind.PROGRAM_OFFICE})),
    NavItem("Trusted partners", "/partners", kinds=_COVERAGE, permission=Permission.PARTNER_LIST),
    NavItem("Organizations", "/organizations", permission=Permission.ORGANIZATION_LIST_ALL),
    NavItem("Audit log", "/audit", permission=Permission.AUDIT_READ_ORG),
    NavItem("My organization", "/organization", personal=True),
    NavItem("Mail", "/mail", personal=True),
    NavItem("Account", "/account", personal=True),
]


def nav_for(rules: Rules, principal: Principal | None, now: datetime) -> list[NavItem]:
    """The navigation items ``principal`` may use; none before sign-in."""
    if principal is None:
        return []
    return [item for item in NAVIGATION if item.visible_to(rules, principal, now)]


def time_tag(value: datetime | None) -> Markup:
    """A <time> element in UTC; app.js rewrites it in the viewer's zone, naming the zone.

    The page reads "Jun 2, 2026, 6:22 PM EDT" and the UTC text stays the title, shown on hover;
    without JavaScript the UTC text is what shows. Form fields use the same zone (web/timezones.py).
    """
    if value is None:
        return Markup("<span class=muted>—</span>")
    # A naive value is UTC (as stored); an aware one in another zone is converted, so the text never lies.
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%d %H:%M UTC")
    return Markup('<time datetime="{0}" title="{1}">{1}</time>').format(utc.isoformat(), text)


def time_left(until: datetime, now: datetime) -> str:
    """How long from ``now`` until ``until``, to the minute (``17d 4h 5m``); app.js keeps it ticking."""
    left = max(0, int((until - now).total_seconds()))
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    return (f"{days}d " if days else "") + (f"{hours}h " if days or hours else "") + f"{minutes}m"


templates.env.filters["time"] = time_tag
templates.env.filters["time_left"] = time_left
templates.env.globals["OrgKind"] = OrgKind


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with the shared page context."""
    now = request.app.state.container.clock.now()
    messages = request.session.pop("flash", []) if "flash" in request.session else []
    unread = 0
    if principal is not None:
        with request.app.state.container.uow() as uow:
            unread = web_hooks(request).unread_count(uow, principal)
    return templates.TemplateResponse(
        request,
        template,
        {
            "principal": principal,
            "csrf_token": csrf_token(request),
            "nav": nav_for(request.app.state.container.uow.rules, principal, now),
            "current_path": request.url.path,
            "messages": messages,
            "unread": unread,
            "now": now,
            **context,
        },
        status_code=status_code,
    )
