"""The board's voice, built: every clip the board plays, spoken by espeak-ng into WAV files,
and the chime made here. Run by `xephang voice build` at set-up (make demo, make voice).

Standalone like the kiosk's print agent: it imports nothing of the server. The server says
which clips there are and what each says (server/domain/announce.py) and where they live
(server/adapters/voice.py), and plays them on the board.
"""

from __future__ import annotations

import array
import math
import os
import subprocess
import sys
import tempfile
import wave
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ESPEAK_VOICE = "vi"  # northern Vietnamese; vi-vn-x-central and vi-vn-x-south also exist
# espeak-ng's default of 175 words a minute sounds hurried through a hall's loudspeakers.
ESPEAK_SPEED = 150
SAMPLE_RATE = 22_050  # espeak-ng's own rate; the chime matches it

# espeak-ng ends every clip with about 0.4 s of silence; put together, the digits of a number
# would sound spelt out slowly. Keep a short pause, enough to tell the digits apart.
SILENCE_LEVEL = 300  # of 32,767
KEEP_SILENCE_SECONDS = 0.12


class VoiceError(Exception):
    """The clips could not be built (espeak-ng missing or failing)."""


@dataclass
class BuildReport:
    made: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    custom: list[str] = field(default_factory=list)  # clips the centre recorded itself
    strays: list[str] = field(default_factory=list)  # files in custom/ that are no clip


def build_clips(
    folder: Path,
    custom: Path,
    words: Mapping[str, str],
    chime: str,
    espeak: str,
    espeak_voice: str = ESPEAK_VOICE,
    force: bool = False,
) -> BuildReport:
    """Write into `folder` every clip missing there (all of them with `force`): `chime`, made
    here, and each of `words` (clip name -> what it says) spoken by the `espeak` program.
    Each file appears whole or not at all, so a board playing meanwhile never reads half a
    clip. Recordings of the centre's own in `custom` are listed, never touched."""
    clip_names = {chime, *words}
    custom.mkdir(parents=True, exist_ok=True)
    report = BuildReport()
    for name in sorted(clip_names):
        path = folder / f"{name}.wav"
        if path.exists() and not force:
            report.kept.append(name)
            continue
        if name == chime:
            _write_wav(path, chime_samples())
        else:
            _write_wav(path, _trimmed(_speak(espeak, espeak_voice, words[name])))
        report.made.append(name)
    for recording in sorted(custom.iterdir()):
        if recording.suffix == ".wav" and recording.stem in clip_names:
            report.custom.append(recording.stem)
        else:
            report.strays.append(recording.name)
    return report


def chime_samples(seconds: float = 0.5) -> array.array[int]:
    """A two-tone chime ("ding-dong": E5 then C5), each tone struck and fading away, so a
    call is heard coming before its words."""
    samples = array.array("h")
    attack = int(0.01 * SAMPLE_RATE)
    for frequency in (659.25, 523.25):
        length = int(seconds * SAMPLE_RATE)
        for i in range(length):
            t = i / SAMPLE_RATE
            envelope = min(1.0, i / attack) * math.exp(-4.0 * t) * (1 - i / length)
            # A little of the octave above makes it a bell rather than a test tone.
            tone = math.sin(2 * math.pi * frequency * t) + 0.3 * math.sin(
                4 * math.pi * frequency * t
            )
            samples.append(int(0.45 * 32767 * envelope * tone / 1.3))
    return samples


def _speak(espeak: str, espeak_voice: str, words: str) -> array.array[int]:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "clip.wav"
        command = [espeak, "-v", espeak_voice, "-s", str(ESPEAK_SPEED), "-b", "1", "-w", str(out)]
        try:
            subprocess.run([*command, words], check=True, capture_output=True, timeout=30)
        except FileNotFoundError as error:
            raise VoiceError(f"{espeak} not found: apt-get install espeak-ng") from error
        except subprocess.CalledProcessError as error:
            raise VoiceError(
                f"{espeak} failed on {words!r}: {error.stderr.decode(errors='replace')}"
            ) from error
        with wave.open(str(out), "rb") as clip:
            if (clip.getnchannels(), clip.getsampwidth()) != (1, 2):
                raise VoiceError(f"{espeak} wrote an unexpected format for {words!r}")
            if clip.getframerate() != SAMPLE_RATE:
                raise VoiceError(f"{espeak} spoke at {clip.getframerate()} Hz, not {SAMPLE_RATE}")
            samples = array.array("h", clip.readframes(clip.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()  # WAV is little-endian
    if not any(abs(s) > SILENCE_LEVEL for s in samples):
        raise VoiceError(f"{espeak} said nothing for {words!r} (is the voice {espeak_voice!r}?)")
    return samples


def _trimmed(samples: array.array[int]) -> array.array[int]:
    """The samples without silence at either end, but for a short pause at the end."""
    loud = [i for i, s in enumerate(samples) if abs(s) > SILENCE_LEVEL]
    end = min(len(samples), loud[-1] + 1 + int(KEEP_SILENCE_SECONDS * SAMPLE_RATE))
    return samples[max(0, loud[0] - int(0.01 * SAMPLE_RATE)) : end]


def _write_wav(path: Path, samples: array.array[int]) -> None:
    """Mono 16-bit WAV, written aside and renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = samples
    if sys.byteorder == "big":
        data = array.array("h", samples)
        data.byteswap()
    draft = path.with_name(f".{path.stem}.{os.getpid()}.wav")
    with wave.open(str(draft), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(data.tobytes())
    draft.replace(path)
