"""The board's voice: voice build (the Vietnamese clips it announces calls with)."""

from __future__ import annotations

import click

from server.config import Config


@click.group()
def voice() -> None:
    """The board's voice: the Vietnamese clips it announces calls with."""


@voice.command("build")
@click.option("--force", is_flag=True, help="Make every clip again, even those already there.")
@click.option(
    "--espeak-voice",
    default="vi",
    show_default=True,
    help="espeak-ng voice: vi (northern), vi-vn-x-central or vi-vn-x-south.",
)
def voice_build(force: bool, espeak_voice: str) -> None:
    """Speak the board's clips with espeak-ng into <instance>/voice/; a centre's own
    recordings in <instance>/voice/custom/ are played instead."""
    import shutil

    from display.voice import VoiceError, build_clips
    from server.adapters.voice import custom_folder, voice_folder
    from server.domain.announce import CHIME, CLIP_WORDS

    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise click.ClickException("espeak-ng is missing: sudo apt-get install espeak-ng")
    instance = Config.from_env().instance_path
    try:
        report = build_clips(
            voice_folder(instance),
            custom_folder(instance),
            CLIP_WORDS,
            CHIME,
            espeak,
            espeak_voice,
            force,
        )
    except VoiceError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Voice clips in {voice_folder(instance)}: {len(report.made)} made,"
        f" {len(report.kept)} already there."
    )
    if report.custom:
        click.echo(f"The centre's own recordings, played instead: {', '.join(report.custom)}")
    for stray in report.strays:
        click.echo(f"custom/{stray} is not a clip's name (<name>.wav) and is never played")
