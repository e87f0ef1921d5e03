"""The chat playground as a reviewer uses it (issue 12, item 2): Enter sends and Shift+Enter adds a
line, replies stream in, one session token serves every send and reload, Stop cancels a slow
stream, refusals are errors (never a model answer), the conversation survives a reload but not a
sign-out, and the Python snippet never carries the token."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Error, Page, expect

from frontier_review.bootstrap import Container
from frontier_review.engagements.access import service as access
from frontier_review.engagements.access.orm import AccessLog, GatewayToken
from frontier_review.engagements.access.service import PLAYGROUND_TOKEN_NAME
from frontier_review.engagements.lifecycle.domain import Quotas
from frontier_review.mockllm import make_app, serve_app, serve_fake
from tests.browser.layout import page_width
from tests.browser.test_coverage_flow import _sign_in, _sign_out
from tests.factories.engagements import Setup, make_engagement, settled
from tests.factories.identity import Person

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
ANSWER = "Line 7 copies without a bounds check."
STORAGE = "fr-playground:{engagement}:{user}:token"


@pytest.fixture(autouse=True)
def no_script_errors(page: Page) -> Iterator[None]:
    """Every test fails on an uncaught error in the page's scripts."""
    errors: list[Error] = []
    # A bound method is rejected by Playwright's event wrapper: it needs a plain function.
    page.on("pageerror", lambda error: errors.append(error))  # noqa: PLW0108
    yield
    assert not errors, errors


def _open(page: Page, live_url: str, setup: Setup, person: Person | None = None) -> None:
    _sign_in(page, live_url, person or setup.reviewer)
    page.goto(f"{live_url}/engagements/{setup.engagement.id}/playground")


def _start(page: Page) -> None:
    expect(page.get_by_label("Your message")).to_be_hidden()  # no message box before a session exists
    # The page reads the access again once the session starts: wait for it, so that a test that
    # then revokes something meets the refusal at its next send, not at that read.
    with page.expect_response(lambda response: response.url.endswith("/my-access")):
        page.get_by_role("button", name="Start a playground session").click()
    expect(page.get_by_label("Your message")).to_be_focused()
    page.wait_for_timeout(100)
    expect(page.get_by_role("button", name="Start a playground session")).to_be_hidden()


def _tokens(container: Container, person: Person) -> list[GatewayToken]:
    with container.sessions() as session:
        return list(session.scalars(sa.select(GatewayToken).where(GatewayToken.user_id == person.user.id)))


def _browser_token(page: Page, setup: Setup) -> str:
    key = STORAGE.format(engagement=setup.engagement.id, user=setup.reviewer.user.id)
    value = page.evaluate("key => JSON.parse(sessionStorage.getItem(key))", key)
    assert isinstance(value, str)
    return value


def test_enter_sends_and_one_token_serves_every_send_and_reload(container: Container, live_url: str, page: Page) -> None:
    with serve_fake(text=ANSWER, stream_delay=0.02) as upstream:
        setup = make_engagement(container, upstream_url=upstream)
        _open(page, live_url, setup)
        expect(page.locator("#pg-window")).to_contain_text(re.compile(r"closes in 9 d 23 h"))
        expect(page.locator("#pg-quota")).to_contain_text("1,000 of 1,000 requests")
        _start(page)
        log = page.locator("#pg-log")
        box = page.get_by_label("Your message")

        box.press_sequentially("Which line is exploitable?")
        box.press("Shift+Enter")
        box.press_sequentially("Answer briefly.")
        expect(box).to_have_value("Which line is exploitable?\nAnswer briefly.")
        expect(log.locator(".chat-user")).to_have_count(0)  # Shift+Enter sent nothing
        box.press("Enter")
        expect(log.locator(".chat-user")).to_have_text(re.compile("Which line is exploitable\\?\nAnswer briefly."))
        expect(log.locator(".chat-assistant").last).to_contain_text(ANSWER)
        expect(box).to_have_value("")
        expect(box).to_be_focused()

        box.fill("And how would you fix it?")
        box.press("Enter")
        expect(log.locator(".chat-assistant")).to_have_count(2)
        expect(log.locator(".chat-assistant").last).to_contain_text(ANSWER)
        expect(page.locator("#pg-quota")).to_contain_text("998 of 1,000 requests")

        # Settings shape the call and the snippet; the snippet names an env var, never the token.
        page.get_by_text("Model settings").click()
        page.get_by_label("System prompt").fill("You are a careful security reviewer.")
        page.get_by_label("Max tokens").fill("300")
        page.get_by_label("Temperature").fill("0.2")
        page.reload()
        expect(log.locator(".chat-user")).to_have_count(2)  # the conversation survives a reload
        expect(log.locator(".chat-assistant")).to_have_count(2)
        expect(page.get_by_label("Your message")).to_be_visible()  # and so does the session
        expect(page.get_by_role("button", name="Start a playground session")).to_be_hidden()
        page.get_by_label("Your message").fill("One more, after the reload.")
        page.get_by_label("Your message").press("Enter")
        expect(log.locator(".chat-assistant")).to_have_count(3)
        expect(log.locator(".chat-assistant").last).to_contain_text(ANSWER)

        # A second tab joins the session in memory (BroadcastChannel): no second token.
        other = page.context.new_page()
        other.goto(f"{live_url}/engagements/{setup.engagement.id}/playground")
        expect(other.locator("#pg-log .chat-notice").last).to_contain_text("Joined the playground session open in another tab")
        expect(other.get_by_label("Your message")).to_be_visible()
        expect(other.locator("#pg-log .chat-user")).to_have_count(0)  # each tab keeps its own conversation
        other.close()

        token = _browser_token(page, setup)
        snippet = page.locator("#pg-snippet").inner_text()
        assert 'base_url="' + live_url + '/gateway/v1"' in snippet
        assert f'model="{setup.engagement.model_id}"' in snippet
        assert '{"role": "system", "content": "You are a careful security reviewer."}' in snippet
        assert '"content": "Which line is exploitable?\\nAnswer briefly."' in snippet
        assert "max_tokens=300" in snippet
        assert "temperature=0.2" in snippet
        assert 'os.environ["FRONTIER_REVIEW_GATEWAY_TOKEN"]' in snippet
        assert token not in snippet
        assert token.split("_", 2)[2] not in snippet
        assert token not in page.content()

        # One token: minted once, used for all three calls.
        settled(container)
        minted = _tokens(container, setup.reviewer)
        assert [(t.name, t.revoked_at) for t in minted] == [(PLAYGROUND_TOKEN_NAME, None)]
        with container.sessions() as session:
            calls = session.scalars(sa.select(AccessLog).where(AccessLog.user_id == setup.reviewer.user.id)).all()
        assert [(c.token_id, c.status) for c in calls] == [(minted[0].id, 200)] * 3
        forwarded = [c for c in calls if c.detail.get("stream")]
        assert len(forwarded) == 3

        # Nothing sideways at 390 px, conversation and snippet included.
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(log.locator(".chat-assistant")).to_have_count(3)
        assert page_width(page) <= 390

        # Signing out wipes what the tab kept: the next session starts empty.
        _sign_out(page)
        _open(page, live_url, setup)
        expect(page.locator("#pg-empty")).to_be_visible()
        expect(page.get_by_role("button", name="Start a playground session")).to_be_visible()
        expect(page.locator("#pg-start-text")).to_contain_text("not in this tab")


def test_stop_cancels_a_slow_stream(container: Container, live_url: str, page: Page) -> None:
    slow = make_app(text=" ".join(f"word{i}" for i in range(200)), stream_delay=0.25)
    with serve_app(slow) as upstream:
        setup = make_engagement(container, upstream_url=upstream)
        _open(page, live_url, setup)
        _start(page)
        page.get_by_label("Your message").fill("Tell me a long story.")
        page.get_by_label("Your message").press("Enter")
        reply = page.locator("#pg-log .chat-assistant")
        expect(reply).to_contain_text("word2")
        expect(page.get_by_role("button", name="Send")).to_be_disabled()
        page.get_by_role("button", name="Stop").click()
        expect(reply).to_contain_text("(stopped)")
        expect(page.locator("#pg-log .chat-notice").last).to_contain_text("Stopped.")
        expect(page.get_by_role("button", name="Send")).to_be_enabled()
        expect(page.get_by_role("button", name="Stop")).to_be_disabled()
        shown = reply.inner_text()
        assert "word199" not in shown
        deadline = time.monotonic() + 10
        while slow.state.cancelled < 1:  # the gateway closed the upstream's stream too
            assert time.monotonic() < deadline, "the upstream kept streaming after Stop"
            time.sleep(0.05)
        settled(container)
        with container.sessions() as session:
            outcomes = session.scalars(sa.select(AccessLog.outcome).where(AccessLog.user_id == setup.reviewer.user.id)).all()
        assert outcomes == ["client_disconnected"]
        page.reload()  # the stopped answer is kept as it was, marked
        expect(reply).to_contain_text("(stopped)")


def test_a_refusal_is_an_error_not_a_model_answer(container: Container, live_url: str, page: Page) -> None:
    with serve_fake(text=ANSWER) as upstream:
        setup = make_engagement(container, upstream_url=upstream, quotas=Quotas(requests_per_day=1))
        _open(page, live_url, setup)
        _start(page)
        box = page.get_by_label("Your message")
        box.fill("First question.")
        box.press("Enter")
        log = page.locator("#pg-log")
        expect(log.locator(".chat-assistant")).to_contain_text(ANSWER)
        expect(page.locator("#pg-quota")).to_contain_text("0 of 1 requests")

        box.fill("Second question, over the quota.")
        box.press("Enter")
        error = log.locator(".chat-error")
        expect(error).to_contain_text("Refused by the gateway: quota exhausted")
        expect(error.get_by_role("alert")).to_contain_text("1 requests per day")
        expect(log.locator(".chat-assistant")).to_have_count(1)  # no model bubble for the refusal
        expect(log.locator(".chat-user")).to_have_count(1)  # the refused message left the conversation…
        expect(box).to_have_value("Second question, over the quota.")  # …and is back in the box


def test_a_revoked_session_token_is_replaced_with_a_clear_message(container: Container, live_url: str, page: Page) -> None:
    with serve_fake(text=ANSWER) as upstream:
        setup = make_engagement(container, upstream_url=upstream)
        _open(page, live_url, setup)
        _start(page)
        (first,) = _tokens(container, setup.reviewer)
        with container.uow() as uow:
            access.revoke_token(uow, setup.reviewer.principal, first.id)
        box = page.get_by_label("Your message")
        box.fill("Still there?")
        box.press("Enter")
        expect(page.locator("#pg-log .chat-error")).to_contain_text("session ended")
        expect(page.locator("#pg-start-text")).to_contain_text("Your playground session has ended")
        expect(page.get_by_role("button", name="Start a new session")).to_be_focused()
        page.get_by_role("button", name="Start a new session").click()
        # The first session's notice says the same words: wait for the second one, and the box.
        notices = page.locator("#pg-log .chat-notice")
        expect(notices).to_have_count(2)
        expect(notices.last).to_contain_text("Session started with token frg_")
        expect(box).to_be_visible()
        expect(box).to_have_value("Still there?")  # nothing typed is lost
        box.press("Enter")
        expect(page.locator("#pg-log .chat-assistant")).to_contain_text(ANSWER)
        tokens = _tokens(container, setup.reviewer)
        assert sorted(t.revoked_at is None for t in tokens) == [False, True]


def test_the_playground_waits_for_the_terms(container: Container, live_url: str, page: Page) -> None:
    setup = make_engagement(container, accept=False)
    _open(page, live_url, setup)
    expect(page.get_by_role("alert").filter(has_text="Calls are refused now")).to_contain_text("not accepted version 1")
    expect(page.locator("#pg-cannot")).to_contain_text("has not accepted the engagement's current terms")
    expect(page.get_by_role("button", name="Start a playground session")).to_be_hidden()
    expect(page.get_by_label("Your message")).to_be_hidden()
    assert _tokens(container, setup.reviewer) == []
