"""Web pages of subscriptions under ``/clearinghouse/subscriptions``.

The organization's subscriptions and the form to add one (admins); a subscription's page with its
delivery log, test, rotation and deletion, and its edit form (admins; the same use case as the
API's ``PUT``); for the clearinghouse, the delivery-status table of every subscriber. A new or
rotated secret is shown on the answer to the POST itself, once, never through a redirect or the
session.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from frontier_review.clearinghouse.subscriptions import browse, service, webhooks
from frontier_review.clearinghouse.subscriptions.domain import Channel
from frontier_review.clearinghouse.subscriptions.views import CreatedSubscription
from frontier_review.identity.domain import Sector
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide
from frontier_review.web.confirm import Consequences, ask
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.problems import back_to
from frontier_review.web.tables import Column, Filter, Table, table_view
from frontier_review.web.templating import flash, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
_INDEX = "/clearinghouse/subscriptions"
_ONE = "/clearinghouse/subscriptions/{subscription_id}"
_EDIT = _ONE + "/edit"
_SECTORS = [(s.value, s.label) for s in Sector]
_CHANNELS = [(c.value, c.label) for c in Channel]

STATUS_TABLE = Table(
    id="subscribers",
    caption="Webhook delivery status per subscriber",
    columns=(
        Column("Organization", sort="organization"),
        Column("Subscription"),
        Column("Channels"),
        Column("Delivered", numeric=True),
        Column("Pending", numeric=True),
        Column("Failed", sort="failed", descending_first=True, numeric=True),
        Column("Last delivery", sort="last", descending_first=True),
    ),
    default_sort=browse.DEFAULT_SORT,
    noun=("subscription", "subscriptions"),
    search_label="Search subscriptions",
    filters=(Filter("state", "Deliveries", choices=(("failing", "some failed"), ("pending", "some pending"))),),
)


def _may_create(uow: UoW, principal: Principal) -> bool:
    from frontier_review.clearinghouse.subscriptions.policy import SubscriberRef

    return (
        principal.org_id is not None
        and decide(uow, principal, Permission.SUBSCRIPTION_CREATE, SubscriberRef(principal.org_id)).allowed
    )


@router.get(_INDEX, response_class=HTMLResponse)
def index(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The organization's subscriptions, the form to add one, and (clearinghouse) every subscriber's status."""
    table = None
    if decide(uow, principal, Permission.SUBSCRIPTION_LIST_ALL, None).allowed:
        query = STATUS_TABLE.read(request.query_params)
        table = table_view(request, STATUS_TABLE, browse.page_subscribers(uow, principal, query), query)
    return render(
        request,
        "clearinghouse/subscriptions.html",
        principal,
        subscriptions=service.list_subscriptions(uow, principal),
        may_create=_may_create(uow, principal),
        table=table,
        sectors=_SECTORS,
        channels=_CHANNELS,
    )


def _secret_page(request: Request, principal: Principal, created: CreatedSubscription, what: str) -> Response:
    return render(
        request,
        "clearinghouse/subscription_secret.html",
        principal,
        created=created,
        what=what,
        header=webhooks.SIGNATURE_HEADER,
        window=webhooks.REPLAY_WINDOW_SECONDS,
        status_code=201 if what == "created" else 200,
    )


class SubscriptionForm(BaseModel):
    """The fields of the create and edit forms (products one per line; the checkboxes may be absent)."""

    name: str = Field(max_length=120)
    sectors: list[str] = Field(default_factory=list, max_length=16)
    products: str = Field(default="", max_length=10_000)
    min_priority: str = Field(default="", max_length=20)
    channels: list[str] = Field(default_factory=list, max_length=3)
    webhook_url: str = Field(default="", max_length=2000)

    def use_case_fields(self) -> dict[str, Any]:
        """The keyword arguments the service's create and update use cases take."""
        return {
            "name": self.name,
            "sectors": self.sectors,
            "products": self.products.splitlines(),
            "min_priority": self.min_priority,
            "channels": self.channels,
            "webhook_url": self.webhook_url or None,
        }


class EditForm(SubscriptionForm):
    """The edit form adds the Active checkbox (unticked, it sends nothing: paused)."""

    active: str = Field(default="", max_length=5)


@router.post(_INDEX, dependencies=[form_page(_INDEX)])
def create(request: Request, uow: UoW, principal: WebPrincipal, form: Annotated[SubscriptionForm, Form()]) -> Response:
    """Create the subscription; with a webhook, the answer shows its secret this once."""
    created = service.create_subscription(uow, principal, **form.use_case_fields())
    if created.secret is None:
        flash(request, "Subscription created.", "success")
        return RedirectResponse(f"{_INDEX}/{created.subscription.id}", status_code=303)
    return _secret_page(request, principal, created, "created")


@router.get(_ONE, response_class=HTMLResponse)
def subscription_page(subscription_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """A subscription (its organization) or just its delivery log (the clearinghouse), with the actions its admins have."""
    from frontier_review.clearinghouse.subscriptions.policy import SubscriptionRef

    deliveries = service.list_deliveries(uow, principal, subscription_id)
    sub = (
        service.get_subscription(uow, principal, subscription_id)
        if principal.org_id is not None and any(s.id == subscription_id for s in service.list_subscriptions(uow, principal))
        else None
    )
    manage = (
        sub is not None
        and decide(uow, principal, Permission.SUBSCRIPTION_MANAGE, SubscriptionRef(sub.id, sub.organization_id)).allowed
    )
    return render(
        request,
        "clearinghouse/subscription.html",
        principal,
        sub=sub,
        subscription_id=subscription_id,
        deliveries=deliveries,
        manage=manage,
    )


@router.get(_EDIT, response_class=HTMLResponse)
def edit_page(subscription_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The subscription's form, filled in: its organization's admins only (403 for members, 404 for anyone else)."""
    sub = service.get_subscription(uow, principal, subscription_id, to_change=True)
    return render(
        request,
        "clearinghouse/subscription_edit.html",
        principal,
        sub=sub,
        # The score as typed (60, not 60.0); 0 is the empty field the create form starts with.
        min_priority=f"{sub.min_score:g}" if sub.min_score else "",
        sectors=_SECTORS,
        channels=_CHANNELS,
    )


@router.post(_EDIT, dependencies=[form_page(_EDIT)])
def update(
    subscription_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, form: Annotated[EditForm, Form()]
) -> Response:
    """Save the changes (the API's PUT use case); adding a webhook shows its new secret this once."""
    changed = service.update_subscription(uow, principal, subscription_id, **form.use_case_fields(), active=bool(form.active))
    if changed.secret is None:
        flash(request, "Subscription saved." if changed.subscription.active else "Subscription saved and paused.", "success")
        return RedirectResponse(f"{_INDEX}/{subscription_id}", status_code=303)
    return _secret_page(request, principal, changed, "changed")


@router.post(_ONE + "/secret", dependencies=[back_to(_ONE)])
def rotate(subscription_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    return _secret_page(request, principal, service.rotate_secret(uow, principal, subscription_id), "rotated")


@router.post(_ONE + "/test", dependencies=[back_to(_ONE)])
def send_test(subscription_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    service.send_test(uow, principal, subscription_id)
    flash(request, "Test webhook queued; its outcome appears in the delivery log.", "success")
    return RedirectResponse(f"{_INDEX}/{subscription_id}", status_code=303)


@router.post(_ONE + "/delete", dependencies=[back_to(_ONE)])
def delete(
    subscription_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    confirm: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    """Delete, once its confirmation page was shown (the delivery log and secret go with it)."""
    sub = service.get_subscription(uow, principal, subscription_id)
    consequences = Consequences(
        title=f"Delete the subscription “{sub.name}”?",
        action=f"{_INDEX}/{sub.id}/delete",
        effects=(
            "Your organization stops hearing of new reports through it.",
            "Its delivery log is deleted and its webhook secret destroyed.",
        ),
        final="This cannot be undone; you can subscribe again with a new secret.",
        button="Delete subscription",
        back=f"{_INDEX}/{sub.id}",
    )
    asked = ask(request, principal, consequences, confirm)
    if asked is not None:
        return asked
    service.delete_subscription(uow, principal, subscription_id)
    flash(request, "Subscription deleted.", "success")
    return RedirectResponse(_INDEX, status_code=303)
