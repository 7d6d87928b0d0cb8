"""Every screen in Vietnamese (the default) and English: the English catalog holds every
string of the templates and views, translated, and a page switches with `?lang=`, which a
cookie remembers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from server.cli.demo import DemoCredentials
from tests.conftest import AppFactory, Centre, Published, kiosk_headers

# Runs once, in the SQLite pass (the catalogs and the pages' language).
pytestmark = pytest.mark.anydb

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
COMPILED = CATALOG.with_suffix(".mo")
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)s")


def english() -> Catalog:
    with CATALOG.open("rb") as po:
        return read_po(po)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """A fresh `pybabel extract` over the whole tree, as babel.cfg says."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "--no-location", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as template:
        return read_po(template)


def test_every_string_of_every_screen_is_in_the_english_catalog(extracted: Catalog) -> None:
    catalog = english()
    missing = sorted(m.id for m in extracted if m.id and m.id not in catalog)
    assert missing == [], f"not in {CATALOG.relative_to(ROOT)}: {missing}"
    assert len(extracted) > 150  # the extraction really read the templates


def test_every_message_has_an_english_translation_keeping_its_placeholders() -> None:
    catalog = english()
    for message in catalog:
        if not message.id:
            continue
        assert isinstance(message.string, str) and message.string.strip(), message.id
        assert not message.fuzzy, message.id
        assert message.string != message.id or not re.search(r"[^\x00-\x7f]", message.id), (
            f"left in Vietnamese: {message.id}"
        )
        wanted = sorted(PLACEHOLDER.findall(str(message.id)))
        assert sorted(PLACEHOLDER.findall(message.string)) == wanted, message.id


def test_the_compiled_catalog_is_up_to_date() -> None:
    assert COMPILED.exists(), "run `make install` (it runs `pybabel compile -d translations`)"
    with COMPILED.open("rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    written = {m.id: m.string for m in english() if m.id}
    assert compiled == written, "stale .mo: run `.venv/bin/pybabel compile -d translations`"


def test_a_page_is_vietnamese_by_default_and_english_on_request_remembered_in_a_cookie(
    client: FlaskClient,
) -> None:
    page = client.get("/kiosk?device=x").get_data(as_text=True)
    assert '<html lang="vi">' in page and "Xin chọn lĩnh vực cần giải quyết" in page
    english_page = client.get("/kiosk?device=x&lang=en")
    assert "lang=en" in english_page.headers["Set-Cookie"]
    text = english_page.get_data(as_text=True)
    assert '<html lang="en">' in text and "Please choose the service you need" in text
    assert "Xin chọn" not in text
    # The cookie keeps English on the next page, until Vietnamese is asked for again.
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    assert "Đăng nhập" in client.get("/login?lang=vi").get_data(as_text=True)
    assert '<html lang="vi">' in client.get("/login").get_data(as_text=True)
    # An unknown language is ignored.
    assert '<html lang="vi">' in client.get("/login?lang=fr").get_data(as_text=True)


def test_the_strings_a_screen_script_shows_come_from_its_page(client: FlaskClient) -> None:
    page = client.get("/board?device=x&lang=en").get_data(as_text=True)
    assert '<script type="application/json" id="i18n">' in page
    assert '"to_counter": "→ counter {counter}"' in page
    assert '"offline": "Connection to the server lost – retrying…"' in page


def test_the_phone_page_says_how_near_the_turn_must_be_to_warn(
    make_app: AppFactory, published: Published, creds: DemoCredentials, centre: Centre
) -> None:
    for settings, expected in (({}, 3), ({"notify_ahead": 5}, 5)):
        client = make_app(published, **settings).test_client()
        issued = client.post(
            "/api/kiosk/tickets",
            json={"service_id": centre.service["HT"]},
            headers=kiosk_headers(creds),
        )
        token = issued.get_json()["ticket"]["token"]
        page = client.get(f"/t/{token}").get_data(as_text=True)
        assert f'data-notify-ahead="{expected}"' in page
    worker = client.get("/t/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"


def test_a_missing_or_forbidden_page_is_explained_in_vietnamese_first(
    client: FlaskClient, login: Any, centre: Centre
) -> None:
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    text = missing.get_data(as_text=True)
    assert '<html lang="vi">' in text and "<h1>Không tìm thấy trang này.</h1>" in text
    assert "The requested URL was not found" not in text  # Werkzeug's own English page
    # canbo4 works at counter 4 only: counter 1's screen is not theirs.
    forbidden = login("canbo4").get(f"/counter/{centre.counter[1]}")
    assert forbidden.status_code == 403
    text = forbidden.get_data(as_text=True)
    assert "<h1>Bạn không có quyền xem trang này.</h1>" in text
    assert "You don&#39;t have the permission" not in text


CASUAL_YOU = re.compile(r"\bbạn\b", re.IGNORECASE)


def test_citizens_are_addressed_as_ong_ba_on_every_screen_and_paper_they_see(
    client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    """One respectful register for citizens: "ông/bà", as the administrative forms and the
    rating tablet say, never the casual "bạn" (staff screens may say "bạn" to staff)."""
    from datetime import datetime

    from server.adapters.printing.ticket_layout import TicketContent, ticket_text

    issued = client.post(
        "/api/kiosk/tickets",
        json={"service_id": centre.service["HT"]},
        headers=kiosk_headers(creds),
    ).get_json()["ticket"]
    pages = {
        "kiosk": client.get("/kiosk?device=x&lang=vi"),
        "phone": client.get(f"/t/{issued['token']}"),
        "rating": client.get("/rating?device=x"),
    }
    for name, page in pages.items():
        text = page.get_data(as_text=True)
        assert not CASUAL_YOU.findall(text), name
        assert "ông/bà" in text.lower(), name
    paper = ticket_text(
        TicketContent(
            centre="Trung tâm",
            service="Tư pháp - Hộ tịch",
            number="A001",
            issued_at=datetime(2026, 11, 26, 9, 0),
            phone_url="http://127.0.0.1/t/x",
            people_ahead=3,
            estimated_wait_minutes=12,
            priority=None,
        )
    )
    assert "Trước ông/bà: 3 người" in paper and not CASUAL_YOU.findall(paper)
