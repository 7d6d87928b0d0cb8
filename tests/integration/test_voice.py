"""The board's voice: `xephang voice build` really speaking the clips with espeak-ng, a
centre's own recordings winning, and the clips served to the board."""

from __future__ import annotations

import array
import os
import shutil
import wave
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from display.voice import SILENCE_LEVEL
from server.adapters.voice import clip_path, voice_folder
from server.cli.demo import DemoCredentials
from server.cli.main import cli
from server.domain.announce import CHIME, CLIP_NAMES, CLIP_WORDS, announcement_clips
from tests.conftest import AppFactory, Centre, Staff, kiosk_headers

# Runs once, in the SQLite pass (espeak-ng's clips and their URLs).
pytestmark = pytest.mark.anydb

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None and not os.environ.get("XEPHANG_REQUIRE_BROWSER"),
    reason="espeak-ng missing; `make test` installs it",
)


def voice_build(instance: Path, *args: str, path: str | None = None) -> Result:
    env = {"XEPHANG_INSTANCE": str(instance), "XEPHANG_DATABASE_URL": None}
    if path is not None:
        env["PATH"] = path
    return CliRunner(env=env).invoke(cli, ["voice", "build", *args], catch_exceptions=False)


def samples(path: Path) -> tuple[wave._wave_params, array.array[int]]:
    with wave.open(str(path), "rb") as clip:
        return clip.getparams(), array.array("h", clip.readframes(clip.getnframes()))


def write_tone(path: Path, seconds: float = 0.2, level: int = 8000) -> bytes:
    """A stand-in recording: a square wave, mono 16-bit at 16 kHz."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = array.array("h", ([level] * 20 + [-level] * 20) * int(seconds * 400))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(frames.tobytes())
    return path.read_bytes()


@pytest.mark.slow
@needs_espeak
def test_voice_build_speaks_every_clip_into_valid_wav_files(tmp_path: Path) -> None:
    result = voice_build(tmp_path)
    assert result.exit_code == 0, result.output
    assert f"{len(CLIP_NAMES)} made, 0 already there" in result.output
    folder = tmp_path / "voice"
    assert sorted(p.stem for p in folder.glob("*.wav")) == sorted(CLIP_NAMES)
    assert (folder / "custom").is_dir()  # where the centre puts its own recordings
    durations = {}
    for name in CLIP_NAMES:
        params, frames = samples(folder / f"{name}.wav")
        assert (params.nchannels, params.sampwidth) == (1, 2), name
        assert 8_000 <= params.framerate <= 48_000, name
        assert params.nframes > 0, name
        assert max(abs(s) for s in frames) > 10 * SILENCE_LEVEL, f"{name} is silent"
        durations[name] = params.nframes / params.framerate
    # Words take time to say: the sentence's opening is the longest, a digit is short, and
    # every clip is short enough to put together without a drawl.
    assert durations["intro"] > 1.2
    assert all(0.15 < durations[f"digit_{d}"] < 1.0 for d in "0123456789")
    assert max(durations.values()) < 4.0
    assert 0.5 <= durations[CHIME] <= 2.0
    # Different words make different sounds (espeak-ng really read each one).
    assert len({(tmp_path / "voice" / f"{n}.wav").read_bytes() for n in CLIP_WORDS}) == len(
        CLIP_WORDS
    )


@pytest.mark.slow
@needs_espeak
def test_voice_build_keeps_existing_clips_unless_forced(tmp_path: Path) -> None:
    assert voice_build(tmp_path).exit_code == 0
    digit = tmp_path / "voice" / "digit_5.wav"
    spoken = digit.read_bytes()
    digit.write_bytes(b"broken")
    (tmp_path / "voice" / "letter_q.wav").unlink()

    again = voice_build(tmp_path)
    assert f"1 made, {len(CLIP_NAMES) - 1} already there" in again.output
    assert digit.read_bytes() == b"broken"  # kept: a build is cheap to run again and again
    assert (tmp_path / "voice" / "letter_q.wav").exists()

    forced = voice_build(tmp_path, "--force")
    assert f"{len(CLIP_NAMES)} made, 0 already there" in forced.output
    assert digit.read_bytes() == spoken  # espeak-ng says the same words the same way


@pytest.mark.slow
@needs_espeak
def test_a_centres_own_recording_wins_and_is_never_overwritten(tmp_path: Path) -> None:
    recorded = write_tone(tmp_path / "voice" / "custom" / "intro.wav")
    (tmp_path / "voice" / "custom" / "Intro.WAV").write_bytes(recorded)  # a misnamed copy
    result = voice_build(tmp_path, "--force")
    assert result.exit_code == 0, result.output
    assert "played instead: intro" in result.output
    assert "custom/Intro.WAV is not a clip's name" in result.output
    assert (tmp_path / "voice" / "custom" / "intro.wav").read_bytes() == recorded
    assert (tmp_path / "voice" / "intro.wav").read_bytes() != recorded  # built all the same
    assert clip_path(tmp_path, "intro") == tmp_path / "voice" / "custom" / "intro.wav"
    assert clip_path(tmp_path, "to_counter") == tmp_path / "voice" / "to_counter.wav"


def test_voice_build_without_espeak_ng_says_how_to_install_it(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = voice_build(tmp_path, path=str(empty))
    assert result.exit_code == 1
    assert "apt-get install espeak-ng" in result.output
    assert not list(voice_folder(tmp_path).glob("*.wav"))


# -- served to the board -----------------------------------------------------------------


def test_a_clip_is_served_as_audio_wav_with_cache_headers(
    instance: Path, client: FlaskClient
) -> None:
    built = write_tone(instance / "voice" / "digit_7.wav")
    response = client.get("/voice/digit_7.wav")
    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    assert response.data == built
    assert response.cache_control.max_age == 3600
    assert response.headers.get("ETag") or response.headers.get("Last-Modified")


def test_the_centres_own_recording_is_served_instead_of_the_built_clip(
    instance: Path, client: FlaskClient
) -> None:
    write_tone(instance / "voice" / "chime.wav", level=4000)
    recorded = write_tone(instance / "voice" / "custom" / "chime.wav", level=9000)
    assert client.get("/voice/chime.wav").data == recorded
    (instance / "voice" / "custom" / "chime.wav").unlink()
    assert client.get("/voice/chime.wav").data != recorded


@pytest.mark.parametrize(
    "url",
    [
        "/voice/..%2Fx.wav",
        "/voice/..%2Fsecret_key.wav",
        "/voice/%2E%2E.wav",
        "/voice/custom.wav",
        "/voice/Digit_7.wav",
        "/voice/digit_7.WAV",
        "/voice/digit_7.mp3",
        "/voice/digit_77.wav",
        "/voice/.wav",
        "/voice/xephang.wav",
    ],
)
def test_anything_but_a_clip_name_is_not_found(
    instance: Path, client: FlaskClient, url: str
) -> None:
    write_tone(instance / "voice" / "digit_7.wav")
    write_tone(instance / "voice" / "xephang.wav")  # a file there, but no clip of the board
    write_tone(instance / "x.wav")
    assert client.get(url).status_code == 404


def test_a_clip_not_built_is_not_found(client: FlaskClient) -> None:
    assert client.get("/voice/intro.wav").status_code == 404


def test_the_board_page_carries_the_repeat_setting(
    make_app: AppFactory, creds: DemoCredentials
) -> None:
    page = make_app(announce_repeat=3).test_client().get("/board").get_data(as_text=True)
    assert 'data-announce-repeat="3"' in page
    page = make_app().test_client().get("/board").get_data(as_text=True)
    assert 'data-announce-repeat="1"' in page  # the default: one reading


def test_each_recent_call_in_the_board_snapshot_carries_its_clips(
    client: FlaskClient, login: Any, centre: Centre, creds: DemoCredentials
) -> None:
    clerk: Staff = login("canbo1")
    issued = client.post(
        "/api/kiosk/tickets",
        json={"service_id": centre.service["HT"]},
        headers=kiosk_headers(creds),
    )
    assert issued.status_code == 201, issued.get_data(as_text=True)
    assert clerk.act(centre.counter[1], "open").status_code == 200
    assert clerk.act(centre.counter[1], "call-next").status_code == 200
    assert clerk.act(centre.counter[1], "recall").status_code == 200
    board = client.get(
        "/api/board/snapshot", headers={"X-Device-Token": creds.device_tokens["board"]}
    )
    calls = board.get_json()["recent_calls"]
    assert [(c["number"], c["recall"]) for c in calls] == [("A001", True), ("A001", False)]
    assert all(c["clips"] == announcement_clips("A001", 1) for c in calls)
