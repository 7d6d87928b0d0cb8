"""What the board says aloud when a number is called."""

from __future__ import annotations

TEMPLATES = {
    "vi": "Mời công dân có số thứ tự {number} đến quầy số {counter}",
    "en": "Ticket number {number}, please go to counter {counter}",
}


def announcement_template(language: str) -> str:
    """The sentence with {number} and {counter} placeholders, for the board's script."""
    return TEMPLATES.get(language, TEMPLATES["vi"])


def announcement(number: str, counter_number: int, language: str = "vi") -> str:
    return announcement_template(language).format(number=number, counter=counter_number)
