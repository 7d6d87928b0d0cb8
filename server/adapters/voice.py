"""The board's voice clips on disk.

`xephang voice build` speaks every clip of server/domain/announce.py with espeak-ng into
`<instance>/voice/<name>.wav`, and makes the chime itself (display/voice.py). A centre
replaces any clip by
putting its own recording of the same name in `<instance>/voice/custom/`: a custom clip
always wins, and a build never touches that folder.
"""

from __future__ import annotations

from pathlib import Path

from server.domain.announce import CLIP_NAMES


def voice_folder(instance: Path) -> Path:
    return instance / "voice"


def custom_folder(instance: Path) -> Path:
    return voice_folder(instance) / "custom"


def clip_path(instance: Path, name: str) -> Path | None:
    """The file to play for clip `name`: the centre's own recording if there is one, else
    the built one; None for a name that is not a clip, or a clip not there."""
    if name not in CLIP_NAMES:
        return None
    for folder in (custom_folder(instance), voice_folder(instance)):
        path = folder / f"{name}.wav"
        if path.is_file():
            return path
    return None
