"""fsync-play: play a sound file at a wall-clock time, or receive [fsync~]'s bundles
and play them at their timetags (Python as a forward-synchronized site).

Every value is checked, the port bound and the files read before the audio device is
opened (a bad one: `fsync-play: error: ...`, exit 2). A sound that cannot start at
its time (a late --at) is reported with a non-zero exit."""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import Dict, List, Optional, Tuple, Union

from . import args as checks
from . import net, sounds
from ._version import __version__

PLAY_EXTRA_HINT = "pip install sounddevice soundfile numpy soxr: the [play] extra of fsync-tilde"
MAX_LISTEN_S = 30 * 86_400.0  # --seconds: a month of listening at most
SAMPLERATES = (8_000, 384_000)
# After the last sound's end, how long to wait for the stream to play it out.
DRAIN_MARGIN_S = 2.0
# Events from the network due further ahead are refused, as by [fsync~]'s default -horizon:
# a stray timetag years ahead would otherwise hold a sound (and this process) until then.
HORIZON_S = 60.0

Device = Union[int, str, None]


def jack_device() -> Optional[int]:
    """The JACK host API's output device, when a JACK server is running."""
    import sounddevice as sd

    for i, api in enumerate(sd.query_hostapis()):
        if api["name"].startswith("JACK"):
            for d in api["devices"]:
                if sd.query_devices(d)["max_output_channels"] > 0:
                    return d
    return None


def output_device(device: Optional[str]) -> Device:
    """The PortAudio output device to open: `device` (an index or part of a name), else
    JACK's when a server runs, else the default. Raises args.UsageError when the audio
    libraries are missing, no output device exists or `device` names none."""
    try:
        import sounddevice as sd
    except (ImportError, OSError) as e:  # OSError: the PortAudio library itself is missing
        raise checks.UsageError(f"playing needs sounddevice, soundfile and numpy ({PLAY_EXTRA_HINT}): {e}") from None
    chosen: Device = device
    if device is not None and device.strip().isdigit():
        chosen = int(device)
    try:
        if chosen is None:
            chosen = jack_device()
        info = sd.query_devices(chosen, "output")
    except (ValueError, sd.PortAudioError) as e:
        if device is None:
            raise checks.UsageError(f"no audio output device (start JACK, or give --device; --no-audio only prints): {e}") from None
        raise checks.UsageError(f"--device {device!r}: {e} (python3 -m sounddevice lists the devices)") from None
    if info["max_output_channels"] < 1:
        raise checks.UsageError(f"--device {device!r} has no output channels")
    return chosen


def build_parser() -> argparse.ArgumentParser:
    """fsync-play's options."""
    p = argparse.ArgumentParser(prog="fsync-play", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("file", nargs="?", help="play this file once (with --at or --ahead)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--at", type=checks.finite, metavar="UNIX_TIME", help="wall-clock time of the first sample (not in the past)")
    when.add_argument("--ahead", type=checks.number_in(0, checks.MAX_AHEAD_S, " s"), default=0.5, metavar="SECONDS",
                      help=f"start SECONDS from now (default 0.5; at most {checks.MAX_AHEAD_S:.0f})")
    p.add_argument("--listen", type=checks.port, metavar="PORT", help="receive bundles on PORT (every interface, IPv4 and IPv6)")
    p.add_argument("--host", metavar="ADDRESS", help="with --listen: only this address or name (e.g. 127.0.0.1, ::1, a LAN address)")
    p.add_argument("--no-audio", action="store_true",
                   help="open no audio device: print each event and its time instead of playing (checking a network path)")
    p.add_argument("--group", metavar="GROUP", help="with --listen: join this IPv4 multicast group (e.g. 239.255.0.1) on PORT")
    p.add_argument("--offset", type=checks.number_in(-1000, 1000, " ms"), default=0.0, metavar="MS",
                   help="clock correction -1000..1000: play as if this machine's clock read MS more (fsync-check --apply sets it)")
    p.add_argument("--allow", action="append", default=[], metavar="HOST|CIDR", help="also answer pings to here (default: loopback and attached networks)")
    p.add_argument("--no-remote-offset", action="store_true", help="refuse /fsync/offset from the network")
    p.add_argument("--sound", action="append", default=[], metavar="NAME=FILE", help="a sound for /play NAME")
    p.add_argument("--map", action="append", nargs="+", default=[], metavar="ADDRESS [ARG] FILE", help="e.g. --map /py tick tick.wav")
    p.add_argument("--seconds", type=checks.number_in(0, MAX_LISTEN_S, " s", low_open=True), default=3600,
                   help="how long to listen (default 3600)")
    p.add_argument("--device", help="PortAudio output device, an index or part of a name (default: JACK if running, else the default)")
    p.add_argument("--samplerate", type=checks.integer_in(*SAMPLERATES))
    return p


def make_receiver(a: argparse.Namespace, play, maps):
    """The --listen socket, bound now (raises args.UsageError: port in use, bad --host,
    --group or --allow)."""
    from .peers import Answers
    from .receiver import Receiver

    mapping = {(addr, arg): f for addr, arg, f in maps}
    try:
        answers = Answers(a.offset, a.allow, not a.no_remote_offset)
    except ValueError as e:
        raise checks.UsageError(f"--allow: {e}") from None
    try:
        return Receiver(a.listen, play, mapping, host=a.host, answers=answers, group=a.group)
    except (ValueError, OSError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else e
        raise checks.UsageError(f"cannot listen on {a.group or a.host or 'every interface'} port {a.listen}: {reason}") from None


def listen_without_audio(receiver, seconds: float) -> int:
    """--no-audio: the same receiving and scheduling, printed instead of played."""
    print(f"fsync-play: listening on {net.describe(receiver.socket)} (no audio)", flush=True)
    try:
        receiver.serve(seconds)
    finally:
        receiver.socket.close()
    return 0


def check_arguments(p: argparse.ArgumentParser, a: argparse.Namespace) -> Tuple[List[Tuple[str, Optional[str], str]], Dict[str, str]]:
    """Every combination and value rule; returns (--map triples, --sound names)."""
    if not a.file and a.listen is None:
        p.error("give a FILE to play, or --listen PORT")
    if a.group and a.listen is None:
        p.error("--group needs --listen PORT")
    if a.host is not None and a.listen is None:
        p.error("--host goes with --listen")
    if a.no_audio and a.listen is None:
        p.error("--no-audio goes with --listen")
    if a.no_audio and a.file:
        p.error("--no-audio plays nothing: give FILE without it, or --listen PORT --no-audio without a FILE")
    if a.no_audio and (a.device is not None or a.samplerate is not None):
        p.error("--device and --samplerate have no use with --no-audio")
    maps = []
    for m in a.map:
        if len(m) not in (2, 3) or not m[0].startswith("/"):
            p.error("--map takes ADDRESS [ARG] FILE")
        maps.append((m[0], m[1] if len(m) == 3 else None, m[-1]))
    named: Dict[str, str] = {}
    for s in a.sound:
        name, sep, path = s.partition("=")
        if not sep or not name or not path:
            p.error(f"--sound {s!r}: expected NAME=FILE")
        named[name] = path
    try:
        if a.at is not None:
            checks.absolute_time(a.at)
        if not a.no_audio:
            for path in [*named.values(), *(f for _, _, f in maps), *([a.file] if a.file else [])]:
                checks.readable_file(path)
    except checks.UsageError as e:
        p.error(str(e))
    return maps, named


def _soundfile():
    try:
        import soundfile
    except (ImportError, OSError) as e:  # OSError: libsndfile itself is missing
        raise checks.UsageError(f"playing needs sounddevice, soundfile and numpy ({PLAY_EXTRA_HINT}): {e}") from None
    return soundfile


def check_sound_file(path: str) -> None:
    """Raises args.UsageError unless `path` is a sound file libsndfile reads (header only)."""
    checks.readable_file(path)
    soundfile = _soundfile()
    try:
        soundfile.info(path)
    except (RuntimeError, ValueError, OSError) as e:  # soundfile.LibsndfileError is a RuntimeError
        raise checks.UsageError(f"cannot read sound file '{path}': {e}") from None


def read_sounds(paths: Dict[str, str]):
    """name → (frames × channels, rate), every file read before the device opens
    (raises args.UsageError)."""
    soundfile = _soundfile()
    out = {}
    for name, path in paths.items():
        try:
            out[name] = sounds.read(path)
        except (RuntimeError, ValueError, OSError, soundfile.LibsndfileError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else e
            raise checks.UsageError(f"cannot read sound file '{path}': {reason}") from None
    return out


def main(argv: Optional[List[str]] = None) -> int:
    """fsync-play's entry point: returns the exit status (2: a bad value, before any
    device is opened; 1: a sound started late)."""
    p = build_parser()
    a = p.parse_args(argv)
    maps, named = check_arguments(p, a)
    known = set(named) | {f for _, _, f in maps}
    if a.no_audio:

        def print_event(name: str, gain: float, offset_ms: float, due: float) -> None:
            if name not in known:
                print(f"fsync-play: no sound named {name!r}", flush=True)
                return
            print(f"fsync-play: {name} at {due:.6f} (no audio)", flush=True)

        try:
            receiver = make_receiver(a, print_event, maps)
        except checks.UsageError as e:
            p.error(str(e))
        return listen_without_audio(receiver, a.seconds)

    receiver = None
    loaded: Dict[str, object] = {}
    last_end = [time.time()]  # when the latest scheduled sound ends (unix s)

    def play(name: str, gain: float, offset_ms: float, due: float) -> None:
        sound = loaded.get(name)
        if sound is None:
            print(f"fsync-play: no sound named {name!r}", flush=True)
            return
        if not (math.isfinite(gain) and math.isfinite(offset_ms) and math.isfinite(due)):
            print(f"fsync-play: ignored /play {name} with gain {gain}, offset {offset_ms} ms, time {due}", flush=True)
            return
        if due - time.time() > HORIZON_S:
            print(f"fsync-play: refused {name}: due {due - time.time():.0f} s ahead, beyond the {HORIZON_S:.0f} s horizon", flush=True)
            return
        skip = max(0, int(min(offset_ms, 1e12) * player.samplerate / 1000))
        try:
            player.play_at(sound[skip:] * gain, due)
        except (OverflowError, ValueError) as e:
            print(f"fsync-play: dropped {name}: {e}", flush=True)
            return
        last_end[0] = max(last_end[0], due + (len(sound) - skip) / player.samplerate)
        print(f"fsync-play: {name} at {due:.6f}", flush=True)

    try:
        if a.listen is not None:
            receiver = make_receiver(a, play, maps)
        raw = read_sounds({**named, **{f: f for _, _, f in maps}, **({a.file: a.file} if a.file else {})})
        device = output_device(a.device)
    except checks.UsageError as e:
        if receiver is not None:
            receiver.socket.close()
        p.error(str(e))
    from .player import ScheduledPlayer

    try:
        player = ScheduledPlayer(device=device, samplerate=a.samplerate)
    except Exception as e:  # noqa: BLE001 - PortAudio's errors have no common base but its own
        p.error(f"cannot open the audio device {device!r}: {e}")
    for name, (data, rate) in raw.items():
        loaded[name] = sounds.resample(data, rate, player.samplerate)
    voice = None
    with player:
        if a.file:
            at = a.at - a.offset / 1000 if a.at is not None else time.time() + a.ahead
            try:
                voice = player.play_at(loaded[a.file], at)
            except ValueError as e:
                print(f"fsync-play: error: {e}", file=sys.stderr)
                return 1
            last_end[0] = at + len(loaded[a.file]) / player.samplerate
            print(f"fsync-play: {a.file} at {at:.6f}", flush=True)
        if receiver is not None:
            print(f"fsync-play: listening on {net.describe(receiver.socket)}", flush=True)
            try:
                receiver.serve(a.seconds)
            finally:
                receiver.socket.close()
        # Bounded: until the last sound has played out (its end time is known), never
        # longer, and not at all once the stream has stopped.
        deadline = max(last_end[0], time.time()) + DRAIN_MARGIN_S
        while player.busy() and player.stream.active and time.time() < deadline:
            time.sleep(0.05)
    if voice is not None and voice.late_s > 0:
        # Only the file's own time is this command's promise; bundles that arrive late
        # from the network are the sender's, played by the join-or-play rule.
        print(f"fsync-play: error: {a.file} started {voice.late_s * 1000:.1f} ms late (its time had passed when the stream reached it)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
