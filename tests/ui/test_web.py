"""The Gradio web interface, served for real and driven in Debian's chromium with Playwright.

One server (module scope) over a real index of data/articles built in a temporary folder, with hand-made structured
summaries of two articles in its result store (evidence spans found in the real text; see tests/ui/test_web_views.py)
and two stored evaluation runs. Browser tests skip when /usr/bin/chromium is missing (scripts/setup.sh installs it; a
browser is never downloaded). Screenshots of each tab go to docs/screenshots/<tab>.png.
"""
from __future__ import annotations

import re
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest

# pandas 3 deprecations raised inside gradio's own code, not ours
pytestmark = [pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

REPO = Path(__file__).resolve().parents[2]
ARTICLES = REPO / "data" / "articles"
SHOTS = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
DARLINGTON = "003_e2e4cb79d3b36c14"
TORBAY_2015 = "000_bb9f36d098299eb9"
WORCESTERSHIRE = "002_e7243b81054e7da4"
BUNDLED = [TORBAY_2015, "001_c76fbb4aff01f110", WORCESTERSHIRE, DARLINGTON, "004_2c1e0e36ce9310c1"]
XSS_TEXT = ("Hostile article about Rotherham children's services.\n"
            "Inspectors visited in March. <script>window.__pwned=1</script> The council said it was pleased.\n"
            'An image tag follows: <img src=x onerror="window.__pwned=1"> and that is all the xyzzyplugh report said.\n')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- fast checks without a server ---------------------------------------------------------------------

def test_non_loopback_without_login_is_refused(monkeypatch):
    from ui.web import UnsafeBindError, check_bind, is_loopback, serve

    monkeypatch.delenv("BRIEF_USERNAME", raising=False)
    monkeypatch.delenv("BRIEF_PASSWORD", raising=False)
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    with pytest.raises(UnsafeBindError, match="BRIEF_USERNAME"):
        serve(object(), host="0.0.0.0", port=_free_port(), block=False)  # refused before anything starts
    check_bind("0.0.0.0", ("user", "secret"))  # a login makes it acceptable
    check_bind("127.0.0.1", None)


def test_cli_serve_without_index_says_how_to_build_it(tmp_path, capsys):
    from ui.cli import main

    assert main(["serve", "--index", str(tmp_path / "nothing")]) == 2
    assert "brief ingest" in capsys.readouterr().err


def test_marked_html_escapes_and_nests():
    from ui.web.views import article_html, marked_html

    text = 'a <script>x()</script> b <img src=x onerror="y()"> c'
    out = marked_html(text, 0, len(text), [(0, len(text), "psg"), (2, 10, "support")])
    assert "<script>" not in out and "<img" not in out and "&lt;script&gt;" in out
    assert '<mark class="psg"><mark class="support">&lt;script&gt;</mark></mark>' in out
    page = article_html("Body text.\nReader says: <b>hi</b>", 11, [])
    assert 'class="reader-comment"' in page and "&lt;b&gt;hi&lt;/b&gt;" in page


# --- the served app ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from summarizer.service import BriefService
    from summarizer.settings import Settings
    from ui.web import serve

    from .test_web_views import make_runs, seed_summaries, write_qa

    root = tmp_path_factory.mktemp("web")
    svc = BriefService(Settings.from_env(root / "index"))  # BRIEF_THREADS etc. apply to the model
    report = svc.ingest([ARTICLES])
    assert sorted(report.added) == BUNDLED, report
    summaries = seed_summaries(svc)  # Darlington and Tameside; the others have none yet
    runs = make_runs(svc, root / "runs", write_qa(root / "qa.jsonl"))
    port = _free_port()
    app = serve(svc, host="127.0.0.1", port=port, block=False, preload_model=False, quiet=True, runs_dir=root / "runs")
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}/", service=svc, app=app, summaries=summaries, runs=runs,
                              runs_dir=root / "runs")
    finally:
        app.close()


@pytest.fixture(scope="module")
def browser(server):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium "
                    "(apt-get install chromium chromium-driver; scripts/setup.sh does this)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def page(server, browser):
    pg = browser.new_page(viewport={"width": 1360, "height": 1000})
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(server.url)
    pg.wait_for_selector("#question textarea", timeout=30_000)
    pg.errors = errors
    yield pg
    pg.close()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_timeout(300)


def settle(page, timeout: int = 30_000) -> None:
    """Wait until no Gradio output is still pending (so screenshots show the finished state)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=status-tracker]:not(.hide)')", timeout=timeout)
    page.wait_for_timeout(300)


def shot(page, name: str) -> None:
    settle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def pick(page, elem_id: str, option: str) -> None:
    """Choose an option of a Gradio dropdown by its visible label."""
    box = page.locator(f"#{elem_id} input")
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option).first.click()


def table_row(page, doc_id: str):
    return page.locator("#article-table [role=row]").filter(has=page.get_by_text(doc_id, exact=True)).filter(
        visible=True).first


def open_article(page, doc_id: str):
    page.locator("#article-table").get_by_text(doc_id, exact=True).filter(visible=True).first.click()
    view = page.locator(f'#article-view .article-view[data-doc="{doc_id}"]')
    view.wait_for(timeout=15_000)
    return view


def test_articles_tab_lists_all_articles(server, page):
    open_tab(page, "Articles")
    table = page.locator("#article-table")
    for d in server.service.documents():
        if d.id in BUNDLED:
            table.get_by_text(d.id, exact=True).filter(visible=True).first.wait_for(timeout=15_000)
    assert len(BUNDLED) == 5
    # columns from the structured summary where there is one; the others say so
    rec = server.summaries[DARLINGTON]
    row = table_row(page, DARLINGTON).inner_text()
    assert "summarized" in row and rec.councils[0].judgement in row and rec.councils[0].inspection_kind in row
    for doc_id in set(BUNDLED) - set(server.summaries):
        assert "not generated" in table_row(page, doc_id).inner_text()
    assert "North Tyneside: outstanding" in table_row(page, "004_2c1e0e36ce9310c1").inner_text()

    view = open_article(page, DARLINGTON)
    assert view.get_attribute("data-summary") == "yes"
    assert "Darlington" in view.inner_text()
    doc = server.service.document(DARLINGTON)
    if doc.comment_start is not None and doc.comment_start < len(doc.text):
        assert view.locator(".reader-comment").count() == 1
    assert page.locator("#summary-btn").inner_text().strip() == "Regenerate summary"
    # clicking a statement highlights its evidence in the article text and scrolls it into view
    weakness = rec.councils[0].weaknesses[0]
    view.locator('.sum-list[data-field="weaknesses"] a.evlink').first.click()
    active = view.locator(".ev-box mark.active")
    active.first.wait_for(timeout=5_000)
    assert " ".join(active.all_inner_texts()).strip() == weakness.evidence[0].text.strip()
    box, mark = view.locator(".ev-box").bounding_box(), active.first.bounding_box()
    assert box["y"] <= mark["y"] <= box["y"] + box["height"]  # scrolled into the visible part of the text
    # and clicking highlighted text marks the statements resting on it
    view.locator('.sum-list[data-field="figures"] a.evlink').first.click()
    assert "94 assessments" in view.locator("a.evlink.active").first.inner_text()
    assert "Dropped by the checks (1)" in view.inner_text()
    shot(page, "articles")


def test_generate_summary_button(server, page, monkeypatch):
    """The button runs the summary (a scripted backend here; the real model in the test below) and refreshes."""
    from .test_web_views import ScriptedBackend

    monkeypatch.setattr(server.service, "backend", lambda: ScriptedBackend())
    open_tab(page, "Articles")
    view = open_article(page, WORCESTERSHIRE)
    assert view.get_attribute("data-summary") == "no" and "not generated" in view.inner_text()
    btn = page.locator("#summary-btn")
    assert btn.inner_text().strip() == "Generate summary"
    btn.click()
    page.locator(f'#article-view .article-view[data-doc="{WORCESTERSHIRE}"][data-summary="yes"]').wait_for(timeout=60_000)
    settle(page)
    assert "scripted-1" in page.locator("#article-view").inner_text()
    assert btn.inner_text().strip() == "Regenerate summary"
    assert "summarized" in table_row(page, WORCESTERSHIRE).inner_text()


@pytest.mark.model
def test_generate_summary_with_the_model(server, page):
    open_tab(page, "Articles")
    view = open_article(page, TORBAY_2015)
    assert view.get_attribute("data-summary") == "no"
    page.locator("#summary-btn").click()
    page.get_by_text(re.compile(r"Loading the model|Summarizing \(")).first.wait_for(timeout=120_000)  # progress
    done = page.locator(f'#article-view .article-view[data-doc="{TORBAY_2015}"][data-summary="yes"]')
    failed = page.locator("#article-view").get_by_text("the last attempt failed")
    done.or_(failed).first.wait_for(timeout=540_000)
    settle(page)
    assert done.count() == 1, page.locator("#article-view").inner_text()[:2000]
    rec = {r.doc_id: r for r in server.service.stored_summaries()}[TORBAY_2015]
    assert rec.model_id == server.service.llm.model_id and rec.councils[0].council == "Torbay"
    assert done.locator(".sum-entry").count() == len(rec.councils) and done.locator("a.evlink").count() >= 1
    assert "summarized" in table_row(page, TORBAY_2015).inner_text()
    shot(page, "articles")  # the README's Articles screenshot shows a summary the real model wrote


def test_councils_tab_shows_a_briefing(server, page):
    open_tab(page, "Councils")
    pick(page, "council-pick", "Darlington")
    briefing = page.locator('#council-briefing .council-briefing[data-council="Darlington"]')
    briefing.wait_for(timeout=15_000)
    assert DARLINGTON in briefing.inner_text()
    assert briefing.get_attribute("data-source") == "summaries"  # from the stored structured summary
    rec = server.summaries[DARLINGTON]
    assert rec.councils[0].weaknesses[0].text in briefing.inner_text()
    # a citation opens the article with the cited words highlighted
    briefing.locator("table.timeline a.evlink").first.click()
    panel = briefing.locator(f'.ev-panel.open[data-doc="{DARLINGTON}"]')
    panel.wait_for(timeout=5_000)
    assert panel.locator("mark.active").first.inner_text().strip() == rec.councils[0].judgement_evidence[0].text.strip()
    shot(page, "councils")


@pytest.mark.model
def test_ask_darlington_citation_opens_the_passage(server, page):
    open_tab(page, "Ask")
    page.locator("#question textarea").fill("Why was Darlington rated inadequate?")
    page.locator("#ask-btn").click()
    final = page.locator('#answer .brief-answer[data-status]:not([data-status="streaming"])')
    final.wait_for(timeout=120_000)
    assert final.get_attribute("data-status") == "answered", final.inner_text()
    cites = page.locator("#answer .answer-text a.cite")
    assert cites.count() >= 1
    opened = None
    for i in range(cites.count()):
        cites.nth(i).click()
        panel = page.locator("#answer .src-panel.open")
        panel.wait_for(timeout=5_000)
        if panel.get_attribute("data-doc") == DARLINGTON:
            opened = panel
            break
    assert opened is not None, "no citation opened a passage of the Darlington article"
    assert opened.is_visible()
    mark = opened.locator("mark.support").first
    assert mark.is_visible() and mark.inner_text().strip()
    assert "Darlington" in opened.locator(".src-head").inner_text()
    # every kept sentence shows what the checks found (the exact check, and the checker's calibrated score)
    sents = page.locator("#answer .answer-text .sent")
    assert sents.count() >= 1
    for i in range(sents.count()):
        badge = sents.nth(i).locator(".verdict")
        assert badge.is_visible()
        assert sents.nth(i).get_attribute("data-verdict") in ("supported", "unjudged")
        assert re.match(r"✓ (supported · \d\.\d\d|exact check only)$", badge.inner_text().strip())
    assert page.locator("#history li").count() >= 1
    shot(page, "ask")


def _upload(page, *paths: Path) -> None:
    open_tab(page, "Add articles")
    page.locator("#upload-files input[type=file]").set_input_files([str(p) for p in paths])
    from playwright.sync_api import expect

    for p in paths:  # uploaded to the server and listed (the name is shown as stem + suffix)
        expect(page.locator("#upload-files")).to_contain_text(p.stem, timeout=30_000)
    page.locator("#upload-btn").click()


def test_upload_article_then_find_it_by_search(server, page, tmp_path):
    f = tmp_path / "my new article.txt"
    f.write_text("Ofsted praises Quendlewick family hubs\n"
                 "Inspectors said the Quendlewick family hubs helped children's social workers visit families "
                 "within days, and praised the council's stable workforce.\n", encoding="utf-8")
    empty = tmp_path / "empty notes.txt"
    empty.write_text("   \n", encoding="utf-8")
    _upload(page, f, empty)
    report = page.locator("#ingest-report li.added")
    report.first.wait_for(timeout=60_000)
    assert "Quendlewick" in report.first.inner_text()
    refused = page.locator("#ingest-report li.refused")
    assert refused.count() == 1 and "empty notes.txt" in refused.inner_text()  # named as uploaded, with the reason
    shot(page, "add_articles")
    open_tab(page, "Ask")
    page.locator("#search-acc").get_by_text("Search passages").first.click()
    page.locator("#search-q textarea, #search-q input").first.fill("Quendlewick family hubs")
    page.locator("#search-btn").click()
    hit = page.locator("#search-out .search-hit").first
    hit.wait_for(timeout=30_000)
    assert "Quendlewick" in hit.inner_text()
    assert hit.get_attribute("data-doc").startswith("upload-")  # a generated name, not the uploaded one


def test_hostile_article_renders_as_text(server, page, tmp_path):
    f = tmp_path / '<img src=x onerror="window.__pwned=1">.txt'
    f.write_text(XSS_TEXT, encoding="utf-8")
    _upload(page, f)
    page.locator("#ingest-report li.added, #ingest-report li.refused").first.wait_for(timeout=60_000)
    # a pasted article whose title and text are hostile too
    page.locator("#paste-title textarea, #paste-title input").first.fill('<img src=x onerror="window.__pwned=1">Title')
    page.locator("#paste-text textarea").fill("Pasted: " + XSS_TEXT)
    page.locator("#paste-btn").click()
    page.locator("#ingest-report li.added").first.wait_for(timeout=60_000)
    assert page.evaluate("typeof window.__pwned") == "undefined"

    open_tab(page, "Articles")
    page.locator("#article-search textarea, #article-search input").first.fill("xyzzyplugh")
    page.wait_for_timeout(1500)
    page.locator("#article-table").get_by_text("upload-", exact=False).filter(visible=True).first.click()
    view = page.locator("#article-view .article-view")
    view.wait_for(timeout=15_000)
    page.wait_for_timeout(500)
    assert "<script>window.__pwned=1</script>" in view.inner_text()
    assert view.locator("script, img").count() == 0
    open_tab(page, "Ask")
    page.locator("#search-q textarea, #search-q input").first.fill("xyzzyplugh report image tag")
    page.locator("#search-btn").click()
    page.locator("#search-out .search-hit").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert not [e for e in page.errors if "pwned" in e]


def test_gradio_client_search_api(server):
    from gradio_client import Client

    client = Client(server.url, verbose=False, analytics_enabled=False, download_files=False)
    hits = client.predict("Darlington assessments timescales", api_name="/search_api")
    assert isinstance(hits, list) and hits
    assert hits[0]["article_id"] == DARLINGTON and {"title", "date", "score", "text"} <= set(hits[0])
    assert "/ask_api" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]


def test_login_is_enforced_when_set(server):
    import httpx
    from gradio_client import Client
    from ui.web import serve

    port = _free_port()
    app = serve(server.service, host="127.0.0.1", port=port, auth=("brief", "s3cret"), block=False,
                preload_model=False, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        assert httpx.get(url + "config").status_code == 401
        client = Client(url, auth=("brief", "s3cret"), verbose=False, analytics_enabled=False, download_files=False)
        assert client.predict("Torbay", 1, api_name="/search_api")[0]["article_id"]
    finally:
        app.close()


@pytest.mark.model
def test_evaluate_tab_runs_one_question(server, page):
    open_tab(page, "Evaluate")
    page.locator("#qa-limit input").fill("1")
    page.locator("#eval-btn").click()
    page.locator("#eval-summary").get_by_text("key_facts_correct").first.wait_for(timeout=150_000)
    page.locator("#eval-head").get_by_text("dev.jsonl").first.wait_for(timeout=10_000)
    settle(page)
    # the run is stored beside the earlier ones and listed
    stored = sorted(p.name for p in server.runs_dir.iterdir())
    assert len(stored) == 3 and stored[-1] not in server.runs
    page.locator("#eval-runs").get_by_text(stored[-1], exact=True).filter(visible=True).first.wait_for(timeout=10_000)


def test_evaluate_tab_compares_stored_runs(server, page):
    from eval.qa.run import compare_runs, load_run

    open_tab(page, "Evaluate")
    a, b = server.runs
    for name in (a, b):
        page.locator("#eval-runs").get_by_text(name, exact=True).filter(visible=True).first.wait_for(timeout=15_000)
    pick(page, "run-a", f"{a} · qa.jsonl · 3 q · finished")
    pick(page, "run-b", f"{b} · qa.jsonl · 3 q · finished")
    page.locator("#compare-btn").click()
    out = page.locator("#eval-compare .eval-compare")
    out.wait_for(timeout=15_000)
    c = compare_runs(load_run(server.runs_dir / a), load_run(server.runs_dir / b))  # what the CLI prints
    improved = [m["metric"] for m in c["metrics"] if m["change"] == "improved"]
    assert "key_facts_correct" in improved
    assert out.get_attribute("data-improved") == str(len(improved))
    row = out.locator("tr[data-metric='key_facts_correct']")
    assert "improved" in row.inner_text() and row.get_attribute("class") == "improved"
    shot(page, "evaluate")
