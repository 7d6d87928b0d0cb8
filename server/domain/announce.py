"""What the board says aloud when a number is called, as text and as a list of audio clips.

A call is spoken from a small set of recorded clips put together: a chime, then
"Mời công dân có số thứ tự", the ticket number, "đến quầy số", the counter number.

Ticket numbers are read digit by digit ("A012" is "a, không, một, hai"), not as Vietnamese
number words ("một nghìn không trăm mười hai"), because:
- in a noisy hall each digit is a short, distinct word; a citizen compares what they hear,
  digit after digit, with the paper in their hand, leading zeros included ("A012" is
  printed with its zero; "mười hai" would drop it);
- number words change with their place and with the region ("mười một" but "hai mươi mốt",
  "lăm" and "nhăm", "linh" in the north and "lẻ" in the south), so reading them would need
  more clips and rules, and a centre recording its own voice would have to record them all;
  digits need ten clips, the same in every region;
- it is what most Vietnamese queue systems do, so citizens are used to it.
Letters of a prefix are read by their Vietnamese names ("bê", "xê", "ích xì").

Counter numbers are different: few, short, printed without leading zeros and read as people
say them, "quầy số mười hai" (not "một, hai", which sounds like two counters). Counters 10
to 99 need four more clips: "mười" (ten), "mươi" (tens), "mốt" (a one after "mươi") and
"lăm" (a five after "mười"/"mươi"); "bốn" stays "bốn" (not the regional "tư"). A counter of
three digits or more is read digit by digit.

The clip names are also the file names (`<name>.wav`) that `xephang voice build` writes and
that a centre replaces with its own recordings (see display/voice.py).
"""

from __future__ import annotations

TEMPLATES = {
    "vi": "Mời công dân có số thứ tự {number} đến quầy số {counter}",
    "en": "Ticket number {number}, please go to counter {counter}",
}

CHIME = "chime"
INTRO = "intro"
TO_COUNTER = "to_counter"

# Every clip but the chime (which is a sound, not words), with the words it says.
PHRASES = {
    INTRO: "Mời công dân có số thứ tự",
    TO_COUNTER: "đến quầy số",
}
DIGITS = {
    "0": "không",
    "1": "một",
    "2": "hai",
    "3": "ba",
    "4": "bốn",
    "5": "năm",
    "6": "sáu",
    "7": "bảy",
    "8": "tám",
    "9": "chín",
}
# The names Vietnamese schools give the letters, the foreign ones (F, J, W, Z) included;
# but G is "gờ" (its sound), because its name "giê" sounds just like D's "dê" in the
# northern and the southern accents alike.
LETTERS = {
    "A": "a",
    "B": "bê",
    "C": "xê",
    "D": "dê",
    "E": "e",
    "F": "ép",
    "G": "gờ",
    "H": "hát",
    "I": "i",
    "J": "gi",
    "K": "ca",
    "L": "e lờ",
    "M": "em mờ",
    "N": "en nờ",
    "O": "o",
    "P": "pê",
    "Q": "quy",
    "R": "e rờ",
    "S": "ét xì",
    "T": "tê",
    "U": "u",
    "V": "vê",
    "W": "vê kép",
    "X": "ích xì",
    "Y": "i dài",
    "Z": "dét",
}

# What a character of a number is read as: its clip's name.
CHARACTER_CLIPS = {
    **{digit: f"digit_{digit}" for digit in DIGITS},
    **{letter: f"letter_{letter.lower()}" for letter in LETTERS},
}

# The words of two-digit counter numbers that are not digits.
TEN = "ten"  # mười: 10-19
TENS = "tens"  # mươi: after the tens digit of 20-99
ONE_AFTER_TENS = "one_after_tens"  # mốt: 21, 31, … 91
FIVE_AFTER_TEN = "five_after_ten"  # lăm: 15, 25, … 95
NUMBER_WORDS = {TEN: "mười", TENS: "mươi", ONE_AFTER_TENS: "mốt", FIVE_AFTER_TEN: "lăm"}

# Clip name -> the words espeak-ng speaks for it.
CLIP_WORDS: dict[str, str] = {
    **PHRASES,
    **NUMBER_WORDS,
    **{CHARACTER_CLIPS[digit]: words for digit, words in DIGITS.items()},
    **{CHARACTER_CLIPS[letter]: words for letter, words in LETTERS.items()},
}

# Every clip the board may ask for; nothing else is ever served from the voice folder.
CLIP_NAMES = frozenset({CHIME, *CLIP_WORDS})

# Written between the parts of a number, read as nothing ("A-012", "B 1000").
SEPARATORS = frozenset(" -./")


def announcement_template(language: str) -> str:
    """The sentence with {number} and {counter} placeholders, for the board's script."""
    return TEMPLATES.get(language, TEMPLATES["vi"])


def announcement(number: str, counter_number: int, language: str = "vi") -> str:
    return announcement_template(language).format(number=number, counter=counter_number)


def read_aloud(text: str) -> list[str]:
    """The clips that read `text` character by character: letters by their Vietnamese
    names, digits one by one. Separators are silent; any other character raises
    ValueError, as does a text with nothing to read."""
    clips: list[str] = []
    for character in text.upper():
        if character in SEPARATORS:
            continue
        clip = CHARACTER_CLIPS.get(character)
        if clip is None:
            raise ValueError(f"cannot read {character!r} of {text!r} aloud")
        clips.append(clip)
    if not clips:
        raise ValueError(f"nothing to read aloud in {text!r}")
    return clips


def counter_clips(counter_number: int) -> list[str]:
    """The clips that say a counter number: 0-9 and 100 or more digit by digit, 10-99 as
    Vietnamese number words ("mười hai", "hai mươi mốt", "mười lăm")."""
    if not 10 <= counter_number <= 99:
        return read_aloud(str(counter_number))
    tens, unit = divmod(counter_number, 10)
    clips = [TEN] if tens == 1 else [CHARACTER_CLIPS[str(tens)], TENS]
    if unit == 1 and tens > 1:
        clips.append(ONE_AFTER_TENS)
    elif unit == 5:
        clips.append(FIVE_AFTER_TEN)
    elif unit:
        clips.append(CHARACTER_CLIPS[str(unit)])
    return clips


def announcement_clips(number: str, counter_number: int) -> list[str]:
    """The clips of one spoken call, in order, without the chime: "Mời công dân có số thứ
    tự", the ticket number, "đến quầy số", the counter number."""
    if counter_number < 0:
        raise ValueError(f"no counter number {counter_number}")
    return [INTRO, *read_aloud(number), TO_COUNTER, *counter_clips(counter_number)]


def announcement_sequence(
    number: str, counter_number: int, repeat: int, recall: bool = False
) -> list[str]:
    """Everything the board plays for a call: the chime, then the call `repeat` times (once
    by default, Config.announce_repeat: a call is about 5 s, and a busy hall's calls queue
    behind each other). A recall has no chime: the hall has just heard that number. Nothing
    at all when `repeat` is 0 (the voice is turned off)."""
    if repeat <= 0:
        return []
    chime = [] if recall else [CHIME]
    return [*chime, *announcement_clips(number, counter_number) * repeat]
