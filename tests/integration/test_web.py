"""The web pages on a real database filled by a real run: every page renders what the run
stored, a token guards them off loopback, POST actions need the CSRF token, and whatever
the articles say is escaped."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer

from monitor.alerts import SlackSender
from monitor.clock import to_iso, utcnow
from monitor.config import load_config
from monitor.runtime import run_once
from monitor.runtime.metrics import Metrics
from monitor.storage import open_store
from monitor.web.app import Site, make_app
from monitor.web.security import Guard
from tests.conftest import stored_db, write_config
from tests.servers import FakeSlack, NewsSite

TOKEN = "a-long-test-token-0123456789"
HOSTILE_TITLE = '<script>alert("t")</script> NATO "onmouseover=alert(1) x'
HOSTILE_SPEAKER = '<b onmouseover="alert(3)">Evil</b>'
HOSTILE_QUOTE = '</span><script>alert(4)</script><a href="javascript:alert(5)">x</a>'


async def _filled(tmp_path: Path, site: NewsSite, slack: FakeSlack) -> Path:
    """The seed articles through one real run (4 stories, 5 alerts), plus a hostile page."""
    site.pages["hostile.html"] = (
        "<html><head><title>" + HOSTILE_TITLE.replace("<", "&lt;") + "</title></head><body>"
        "<article><h1>" + HOSTILE_TITLE.replace("<", "&lt;") + "</h1><p>NATO leaders "
        "met on Ukraine. &lt;img src=x onerror=alert(2)&gt; said nothing new about it at "
        "all, and the meeting went on for hours.</p></article></body></html>"
    ).encode()
    site.feeds["news"].items = sorted(site.pages)
    config = write_config(tmp_path, [{"url": site.feed_url("news")}], slack_api_url=slack.api_url)
    await run_once(load_config(config), SlackSender(slack.token, slack.api_url))
    return config


@pytest.fixture
async def client(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, request: pytest.FixtureRequest
) -> AsyncIterator[TestClient]:
    config = load_config(await _filled(tmp_path, news_site, fake_slack))
    store = await open_store(config.database)
    token = TOKEN if getattr(request, "param", None) == "token" else None
    app = make_app(Site(store=store, guard=Guard(token), metrics=Metrics(), health=None))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
    await store.close()


async def _page(client: TestClient, path: str, **kw: object) -> str:
    response = await client.get(path, **kw)  # type: ignore[arg-type]
    assert response.status == 200, (path, response.status)
    return await response.text()


async def test_every_page_shows_what_the_run_stored(client: TestClient, tmp_path: Path) -> None:
    stories = await _page(client, "/stories")
    assert stories.count('class="card story"') == 4
    assert "John Kirby" in stories and "gotta win this war" in stories
    assert stories.count("alert sent") == 4 and "in Slack</a>" in stories
    kirby = re.findall(r'href="/stories/(\d+)">John Kirby', stories)
    pages = [await _page(client, f"/stories/{i}") for i in kirby]
    (story,) = [p for p in pages if "followup sent" in p]  # the one reported twice
    assert len(re.findall(r'<td><a href="/articles/\d+">', story)) == 2  # two outlets
    article_id = re.search(r'<td><a href="/articles/(\d+)">', story)
    assert article_id
    article = await _page(client, f"/articles/{article_id.group(1)}")
    assert '<span class="said">' in article and "Rules that matched" in article
    speakers = await _page(client, "/speakers")
    assert "/speakers/John%20Kirby" in speakers
    said = await _page(client, "/speakers/John%20Kirby")
    assert "gotta win this war" in said
    assert "gotta win" not in await _page(client, "/speakers/John%20Kirby?rule=NoSuchRule")
    feeds = await _page(client, "/feeds")
    assert "ok" in feeds and "Test News" in feeds
    stored_db(tmp_path).execute(
        "INSERT INTO problems (at, kind, subject, detail) VALUES (?, 'rule_file', ?, ?)",
        (to_iso(utcnow()), "/etc/rules/x.yaml", "/etc/rules/x.yaml:3: unknown key 'qurey'"),
    )
    rules = await _page(client, "/rules")
    assert re.search(r"<td>[^<]+</td><td>[1-9]\d*</td>", rules)  # matches in the last 24 h
    assert "unknown key &#39;qurey&#39;" in rules  # a rule file's last error
    outbox = await _page(client, "/outbox")
    assert "Nothing waiting" in outbox


async def test_whatever_the_page_said_is_escaped(client: TestClient, tmp_path: Path) -> None:
    listed = re.search(
        r'<a href="/articles/(\d+)">&lt;script&gt;', await _page(client, "/articles")
    )
    assert listed, "the hostile article is listed, escaped"
    article_id = int(listed.group(1))
    # a statement as hostile as the page: a tag for a speaker, a script for a quote
    db = stored_db(tmp_path)
    db.execute(
        "INSERT INTO stories (speaker, key_quote, first_article_id, created_at) "
        "VALUES (?, ?, ?, '2026-01-01T00:00:00+00:00')",
        (HOSTILE_SPEAKER, HOSTILE_QUOTE, article_id),
    )
    (story_id,) = db.execute("SELECT max(id) FROM stories").fetchone()
    db.execute(
        "INSERT INTO statements (article_id, story_id, speaker, role, quote, kind, sentence, "
        "background, said_at, start, \"end\") VALUES (?, ?, ?, ?, ?, 'direct', ?, 0, "
        "'2026-01-01T00:00:00+00:00', 0, 10)",
        (article_id, story_id, HOSTILE_SPEAKER, HOSTILE_QUOTE, HOSTILE_QUOTE, HOSTILE_QUOTE),
    )
    pages = [
        await _page(client, path)
        for path in (
            "/stories",
            "/articles",
            f"/articles/{article_id}",
            f"/stories/{story_id}",
            "/speakers",
            "/speakers/" + quote(HOSTILE_SPEAKER, safe=""),
        )
    ]
    assert all("Evil" in html for html in pages[3:])
    for html in pages:
        assert "<script" not in html and "<img" not in html
        assert 'onmouseover="' not in html and "onerror=alert(2)>" not in html
        assert "<b " not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in pages[2]
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in pages[2]


@pytest.mark.parametrize("client", ["token"], indirect=True)
async def test_off_loopback_a_token_is_required(client: TestClient) -> None:
    assert (await client.get("/stories")).status == 401
    assert (await client.get("/metrics")).status == 401
    assert (await client.get("/healthz")).status == 200  # orchestrators ask without one
    wrong = {"Authorization": "Bearer not-the-token-at-all"}
    assert (await client.get("/stories", headers=wrong)).status == 401
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert (await client.get("/stories", headers=bearer)).status == 200
    refused = await client.post("/login", data={"token": "nope"}, allow_redirects=False)
    assert refused.status == 401
    login = await client.post("/login", data={"token": TOKEN}, allow_redirects=False)
    assert login.status == 303 and "monitor_token" in login.cookies
    assert (await client.get("/stories")).status == 200  # the cookie now


async def test_retry_needs_the_csrf_token_and_requeues_the_alert(
    client: TestClient, tmp_path: Path
) -> None:
    db = stored_db(tmp_path)
    (alert_id,) = db.execute("SELECT min(id) FROM outbox").fetchone()
    db.execute(
        "UPDATE outbox SET status = 'failed', last_error = 'channel_not_found' WHERE id = ?",
        (alert_id,),
    )
    outbox = await _page(client, "/outbox")
    assert "channel_not_found" in outbox and f'action="/outbox/{alert_id}/retry"' in outbox
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', outbox)
    assert csrf
    forged = await client.post(
        f"/outbox/{alert_id}/retry", data={"csrf": "0" * 64}, allow_redirects=False
    )
    assert forged.status == 403
    missing = await client.post(f"/outbox/{alert_id}/retry", data={}, allow_redirects=False)
    assert missing.status == 403
    (status,) = db.execute("SELECT status FROM outbox WHERE id = ?", (alert_id,)).fetchone()
    assert status == "failed"
    done = await client.post(
        f"/outbox/{alert_id}/retry", data={"csrf": csrf.group(1)}, allow_redirects=False
    )
    assert done.status == 303
    (status,) = db.execute("SELECT status FROM outbox WHERE id = ?", (alert_id,)).fetchone()
    assert status == "pending"


async def test_metrics_and_healthz_answer(client: TestClient) -> None:
    health = await client.get("/healthz")
    assert health.status == 200 and (await health.text()).startswith("ok")
    metrics = await _page(client, "/metrics")
    assert "monitor_alerts_pending 0.0" in metrics
    assert "monitor_polls_total" in metrics
