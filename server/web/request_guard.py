"""Text no database column can hold, refused at the door for every request.

- JSON nested deeper than any of our bodies (the parser's recursion would fail, a 500);
- lone UTF-16 surrogates (they cannot be encoded to UTF-8) and NUL characters
  (PostgreSQL's text cannot hold them), in a JSON body, a form, the query string or the path;
- a body that is not JSON sent to the JSON API: a form posted there is a 415, never read
  as an empty object (it would clear the board's notice).

Each is a 400 (or 415) with a message in Vietnamese and English, on every database alike.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import UnsupportedMediaType

from server.domain.errors import InvalidInput

# Deeper than any body of our API: refused before it costs anything.
MAX_JSON_DEPTH = 32

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def init_app(app: Flask) -> None:
    app.json = StrictJSONProvider(app)
    app.before_request(refuse_unstorable_text)
    app.before_request(refuse_forms_on_the_json_api)


def unstorable(text: str) -> bool:
    """Whether `text` holds a NUL or a lone surrogate, which no database column can hold."""
    return _UNSTORABLE.search(text) is not None


def _unstorable_refused() -> InvalidInput:
    return InvalidInput(
        "Dữ liệu gửi lên chứa ký tự không hợp lệ (NUL hoặc nửa cặp UTF-16).",
        "The request holds a character that is not allowed (NUL or a lone UTF-16 surrogate).",
    )


def _too_deep() -> InvalidInput:
    return InvalidInput(
        f"Dữ liệu JSON lồng nhau quá {MAX_JSON_DEPTH} cấp.",
        f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.",
    )


def check_json(value: Any) -> None:
    """InvalidInput if `value` is nested too deeply or holds unstorable text. Iterative, so
    that the check itself never runs out of stack."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if unstorable(item):
                raise _unstorable_refused()
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


class StrictJSONProvider(DefaultJSONProvider):
    """The app's JSON: a request body nested too deeply, or holding unstorable text, is a
    clear 400 (InvalidInput passes through get_json(silent=True), which only hides
    ValueError)."""

    ensure_ascii = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise _too_deep() from None
        check_json(value)
        return value


def refuse_unstorable_text() -> None:
    """NUL or a lone surrogate in the path, query string or form is a 400 (on PostgreSQL
    it would otherwise fail in the database, as a 500)."""
    texts = [request.path, *request.args.keys(), *request.args.values()]
    if request.mimetype in FORMS:
        texts += [*request.form.keys(), *request.form.values()]
    if any(unstorable(text) for text in texts):
        raise _unstorable_refused()


def refuse_forms_on_the_json_api() -> None:
    """Under /api/, a body must be JSON: a form there is a 415."""
    if request.path.startswith("/api/") and request.mimetype in FORMS:
        raise UnsupportedMediaType()
