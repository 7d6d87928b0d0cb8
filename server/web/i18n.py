"""Languages of the screens: Vietnamese by default, English as the second.

Message ids are the Vietnamese text itself, so a screen reads right in Vietnamese even
without any catalog; translations/en/ holds the English. The language is chosen per
request: `?lang=en|vi` (which the screen's switch sets, and remembers in a cookie), else
the cookie, else Vietnamese. A browser's Accept-Language is deliberately not used: the
office PCs and TVs are often set up in English, and the centre's screens must still speak
Vietnamese.

Strings a screen's JavaScript shows are rendered by its template too, with `_()`, into a
`<script type="application/json" id="i18n">` block that the script reads (a JSON block is
not executed, so the Content-Security-Policy allows it). babel.cfg says where `pybabel
extract` looks; `make install` compiles the catalogs (`pybabel compile -d translations`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request, url_for
from flask_babel import Babel

from server.config import PROJECT_ROOT

LANGUAGES = ("vi", "en")
# Each language's name in itself: the switch to a language is written in that language.
NAMES = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT_LANGUAGE = "vi"
COOKIE = "lang"
TRANSLATIONS = PROJECT_ROOT / "translations"

babel = Babel()


def chosen_language() -> str:
    for candidate in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


def in_language(item: Mapping[str, Any] | object, field: str) -> Any:
    """A bilingual field of the data (`name_vi` and `name_en` of a dict or an object) in the
    page's language; the Vietnamese when there is no English."""

    def value(name: str) -> Any:
        if isinstance(item, Mapping):
            return item.get(name)
        return getattr(item, name, None)

    return (chosen_language() == "en" and value(f"{field}_en")) or value(f"{field}_vi")


def language_url(language: str) -> str:
    """This page again, in `language` (the other query arguments kept)."""
    arguments = {**(request.view_args or {}), **request.args.to_dict(), "lang": language}
    return url_for(request.endpoint or "home.index", **arguments)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=chosen_language)

    @app.after_request
    def remember_language(response: Response) -> Response:
        asked = request.args.get("lang")
        if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
            response.set_cookie(COOKIE, asked, max_age=365 * 86400, samesite="Lax", httponly=True)
        return response

    @app.context_processor
    def language() -> dict[str, object]:
        lang = chosen_language()
        other = "en" if lang == "vi" else "vi"
        return {
            "lang": lang,
            "languages": LANGUAGES,
            "other_language": other,
            "other_language_name": NAMES[other],
            "language_url": language_url,
            "in_language": in_language,
        }
