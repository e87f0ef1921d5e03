"""Jinja2 rendering with the context every page needs: principal, CSRF token, navigation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
__all__ = ["NAVIGATION", "NavItem", "flash", "nav_for", "render", "templates", "time_tag"]

templates = Jinja2Templates(directory=str(files("frontier_review.web") / "templates"))


@dataclass(frozen=True)
class NavItem:
    """A navigation link, shown to the organization kinds listed (all when empty)."""

    label: str
    href: str
    kinds: frozenset[OrgKind] = frozenset()
    permission: Permission | None = None
    superuser_only: bool = False
    operators: bool = True  # operators (superusers) see kind-specific items unless this is False

    def visible_to(self, rules: Rules, principal: Principal, now: datetime) -> bool:
        if self.superuser_only and not principal.is_superuser:
            return False
        if self.kinds and principal.org_kind not in self.kinds and not (principal.is_superuser and self.operators):
            return False
        if self.permission is not None:
            return authz.decide(rules, principal, self.permission, principal.org_id, now).allowed
        return True


# Areas add their pages here as they land; each kind sees only what it can use.
NAVIGATION: list[NavItem] = [
    NavItem("Home", "/"),
    NavItem("Models", "/models", kinds=frozenset({OrgKind.DEVELOPER, OrgKind.PROGRAM_OFFICE})),
    NavItem("Coverage inquiries", "/coverage/inquiries", kinds=frozenset({OrgKind.DEVELOPER, OrgKind.PROGRAM_OFFICE})),
    NavItem("Policies", "/coverage/policies"),
    NavItem("Benchmarks", "/evals", kinds=frozenset({OrgKind.PROGRAM_OFFICE}), operators=False),
    NavItem(
        "Engagements",
        "/engagements",
        kinds=frozenset({OrgKind.DEVELOPER, OrgKind.PROGRAM_OFFICE, OrgKind.AGENCY, OrgKind.PARTNER}),
    ),
    NavItem("Trusted partners", "/partners", kinds=frozenset({OrgKind.DEVELOPER, OrgKind.PROGRAM_OFFICE})),
    NavItem("Organizations", "/organizations", permission=Permission.ORGANIZATION_LIST_ALL),
    NavItem("My organization", "/organization"),
    NavItem("Audit log", "/audit", permission=Permission.AUDIT_READ_ORG),
    NavItem("Mail", "/mail"),
    NavItem("Account", "/account"),
]


def nav_for(rules: Rules, principal: Principal | None, now: datetime) -> list[NavItem]:
    """The navigation items ``principal`` may use; none before sign-in."""
    if principal is None:
        return []
    items = [item for item in NAVIGATION if item.visible_to(rules, principal, now)]
    if principal.org_id is None:
        items = [item for item in items if item.href != "/organization"]
    return items


def time_tag(value: datetime | None) -> Markup:
    """A <time> element: UTC in the markup, converted to the viewer's zone by app.js."""
    if value is None:
        return Markup("<span class=muted>—</span>")
    iso = value.isoformat()
    text = value.strftime("%Y-%m-%d %H:%M UTC")
    return Markup('<time datetime="{0}" title="{1}">{1}</time>').format(iso, text)


templates.env.filters["time"] = time_tag
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
