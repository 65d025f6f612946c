"""The workshop's four example systems, both directions, live: real-time Pd
(-nosound) on each patches/workshop/ex*.pd, the matching python/examples/workshop_ex*.py
on the workshop's ports (Pd 8001, Python 8000). Ticks are counted as onsets in a
recording of what Pd played ([r~ workshop-out] → [tabwrite~] → [soundfiler] write),
not from status lines. Example 3 with the workshop's stale timetag is also run
against the workshop's own mrpeach receiver recipe: fsync~ must sound at least as
many ticks. Figures are printed (pytest -s) and checked for sense, never speed."""

import datetime
import os
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from test_step_examples import EXTERNAL, MRPEACH, ROOT, bound_udp_ports, check_alone, check_ports_free, console, wait_until

WORKSHOP = ROOT / "patches" / "workshop"
EXAMPLES = ROOT / "python" / "examples"
PD_PORT, PY_PORT = 8001, 8000
SR = 48000
ONSET_THRESHOLD = 0.05  # the tick peaks at 0.9 × 0.4 = 0.36 after the patch's [*~ 0.4]
REFRACTORY_S = 0.1  # ticks 0.5 s apart; two voices 25 ms apart are one tick heard

SEND = ROOT / "build" / "fsync.send.pd"  # the patches send with [fsync.send]
pytestmark = pytest.mark.skipif(not (EXTERNAL.exists() and SEND.exists()), reason=f"{EXTERNAL} or {SEND} missing: run `make build`")


def recorder_patch(path, wav, seconds):
    """Records [r~ workshop-out] from load for `seconds`, then writes `wav` (32-bit float)."""
    n = int(seconds * SR)
    path.write_text(
        "#N canvas 0 0 500 300 12;\n"
        "#X obj 10 10 r~ workshop-out;\n"
        "#X obj 10 40 tabwrite~ workshop-rec;\n"
        f"#X obj 200 10 table workshop-rec {n};\n"
        "#X obj 10 80 loadbang;\n"
        f"#X obj 10 110 delay {seconds * 1000:.0f};\n"
        f"#X msg 10 140 write -wave -bytes 4 {wav} workshop-rec;\n"
        "#X obj 10 170 soundfiler;\n"
        "#X obj 10 200 print recorder-wrote;\n"
        "#X connect 0 0 1 0;\n#X connect 3 0 1 0;\n#X connect 3 0 4 0;\n#X connect 4 0 5 0;\n"
        "#X connect 5 0 6 0;\n#X connect 6 0 7 0;\n"
    )


def onsets(wav):
    """Sample indices where the recording rises above the threshold after at least
    REFRACTORY_S of quiet."""
    import soundfile

    x, sr = soundfile.read(str(wav), dtype="float32")
    loud = np.flatnonzero(np.abs(x) > ONSET_THRESHOLD)
    if len(loud) == 0:
        return []
    gaps = np.diff(loud) > REFRACTORY_S * sr
    return [int(loud[0])] + [int(i) for i in loud[1:][gaps]]


@contextmanager
def pd_running(log, *patches, send=None):
    """Real-time Pd with `patches` open, once it has bound the workshop's Pd port."""
    pd = shutil.which("pd")
    assert pd, "pd (puredata) not found on PATH: scripts/setup.sh installs it"
    check_ports_free({PD_PORT, PY_PORT})
    # -path build: the patches find fsync~ and [fsync.send] in an installed package or there.
    cmd = [pd, "-nosound", "-nogui", "-stderr", "-noprefs", "-r", str(SR), "-path", str(MRPEACH), "-path", str(ROOT / "build")]
    if send:
        cmd += ["-send", send]
    for p in patches:
        cmd += ["-open", str(p)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        ready = wait_until(lambda: proc.poll() is not None or PD_PORT in bound_udp_ports(proc.pid), 10.0)
        assert proc.poll() is None and ready, "Pd did not start or bind 8001:\n" + "\n".join(console(log))
        yield proc
        check_alone(proc, {PD_PORT})
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        print("--- Pd console ---\n" + "\n".join(console(log)[-60:]))


def script(name, *args, timeout=60):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "python"), env.get("PYTHONPATH")]))
    # Tests listen on loopback only (never every interface).
    cmd = [sys.executable, str(EXAMPLES / name), "--host", "127.0.0.1", *args]
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    print(f"--- {name} {' '.join(args)} (exit {r.returncode}) ---\n{r.stdout}{r.stderr}")
    assert r.returncode == 0, r.stderr
    return r.stdout


def ticks_heard(tmp_path, patch, script_name, *args, seconds):
    """Runs the script against `patch` while recording; returns (onsets, Pd console)."""
    wav, rec, log = tmp_path / f"{patch.stem}.wav", tmp_path / "recorder.pd", tmp_path / f"{patch.stem}.log"
    recorder_patch(rec, wav, seconds)
    with pd_running(log, patch, rec):
        out = script(script_name, *args, "--listen", "0")
        assert wait_until(wav.exists, seconds + 5.0), "the recorder wrote nothing"
        wait_until(lambda: any(l.startswith("recorder-wrote") for l in console(log)), 5.0)
    ticks_heard.script_output = out
    return onsets(wav), console(log)


def sent_timetags(out):
    """The wall-clock timetags the script printed (`sent i/N: <UTC>`, ms resolution)."""
    stamps = re.findall(r"^sent \d+/\d+: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC$", out, re.M)
    return [datetime.datetime.strptime(t, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp() for t in stamps]


def test_example1_messages_both_ways(tmp_path):
    log = tmp_path / "pd.log"
    with pd_running(log, WORKSHOP / "ex1-messages.pd", send="workshop-send 1"):
        out = script("workshop_ex1_messages.py", "--count", "5", "--interval", "0.3", "--linger", "2")
        wait_until(lambda: sum(l.startswith("pd-received:") for l in console(log)) >= 5, 3.0)
    printed = [l for l in console(log) if l.startswith("pd-received:")]
    assert printed == [f"pd-received: Hello from Python nr.{i}" for i in range(1, 6)], "\n".join(console(log))
    # Pd's toggle sends one a second while the script listens (~3.5 s).
    heard = re.findall(r"^received /py Hello from Pd \| immediately$", out, re.M)
    assert len(heard) >= 2, out


def test_example2_metronome_plays_20_of_20(tmp_path):
    heard, lines = ticks_heard(tmp_path, WORKSHOP / "ex2-metronome.pd", "workshop_ex2_metronome.py",
                               "--count", "20", "--interval", "0.5", "--linger", "1", seconds=14)
    gaps_ms = np.diff(heard) / SR * 1000
    print(f"Example 2 (immediate /pd tick every 0.5 s): {len(heard)} of 20 ticks heard; gaps ms {np.round(gaps_ms, 1).tolist()}")
    assert len(heard) == 20
    assert not [l for l in lines if "dropped" in l], "\n".join(lines)


def test_example2_pd_to_python(tmp_path):
    log = tmp_path / "pd.log"
    with pd_running(log, WORKSHOP / "ex2-metronome.pd", send="workshop-send 1"):
        out = script("workshop_ex2_metronome.py", "--count", "0", "--linger", "4")
    heard = re.findall(r"^received /py tick \| immediately$", out, re.M)
    print(f"Example 2 Pd → Python: {len(heard)} immediate /py tick in 4 s")
    assert len(heard) >= 6, out


def test_example3_forward_sync_plays_20_of_20(tmp_path):
    heard, lines = ticks_heard(tmp_path, WORKSHOP / "ex3-forward-sync.pd", "workshop_ex3_forward_sync.py",
                               "--count", "20", "--interval", "0.5", "--linger", "1.5", seconds=15)
    tags = sent_timetags(ticks_heard.script_output)
    assert len(tags) == 20
    # Each tick at its own timetag (stamped when sent, so the sender's sleep jitter is in
    # the timetags): onset spacing = timetag spacing, within -nosound's few ms of lag.
    error_ms = [((h - heard[0]) / SR - (t - tags[0])) * 1000 for h, t in zip(heard, tags)]
    print(f"Example 3 (/pd tick stamped 1 s ahead): {len(heard)} of 20 ticks heard; onset spacing − timetag spacing "
          f"ms: {min(error_ms, default=0):.1f}..{max(error_ms, default=0):.1f}")
    assert len(heard) == 20
    assert all(abs(e) < 15 for e in error_ms), np.round(error_ms, 1).tolist()
    assert not [l for l in lines if re.match(r"fsync~: (late|dropped)", l)], "\n".join(lines)


def test_example3_stale_timetag_fsync_hears_at_least_as_many_as_mrpeach(tmp_path):
    args = ("--count", "20", "--interval", "0.5", "--linger", "1.5", "--stale-timetag")
    fsync, fsync_lines = ticks_heard(tmp_path, WORKSHOP / "ex3-forward-sync.pd", "workshop_ex3_forward_sync.py", *args, seconds=15)
    mrpeach, _ = ticks_heard(tmp_path, WORKSHOP / "ex-receiver-mrpeach.pd", "workshop_ex3_forward_sync.py", *args, seconds=15)
    late = [l for l in fsync_lines if l.startswith("fsync~: late")]
    print(f"Example 3 with the stale timetag: fsync~ {len(fsync)} of 20 ticks heard ({len(late)} reported late), "
          f"the workshop's mrpeach receiver {len(mrpeach)} of 20")
    assert len(fsync) >= len(mrpeach)
    assert len(fsync) >= 18  # bundles 1-3 share one moment: 18 distinct ticks
    assert len(late) >= 16, "\n".join(fsync_lines)
    assert not [l for l in fsync_lines if "dropped" in l], "\n".join(fsync_lines)


def test_example3_pd_to_python_and_pd_plays_its_own_ticks(tmp_path):
    wav, rec, log = tmp_path / "ex3.wav", tmp_path / "recorder.pd", tmp_path / "pd.log"
    recorder_patch(rec, wav, 6)
    with pd_running(log, WORKSHOP / "ex3-forward-sync.pd", rec, send="workshop-send 1"):
        out = script("workshop_ex3_forward_sync.py", "--count", "0", "--linger", "4")
        assert wait_until(wav.exists, 8.0)
    ahead = [float(m) for m in re.findall(r"^received /py tick \| timetag .* \(([+-][\d.]+) ms from arrival\)$", out, re.M)]
    heard = onsets(wav)
    print(f"Example 3 Pd → Python: {len(ahead)} /py tick, ms ahead {min(ahead, default=0):.1f}..{max(ahead, default=0):.1f}; "
          f"Pd's own copies heard: {len(heard)} in 6 s")
    assert len(ahead) >= 6, out
    # [fsync~]'s bundle 1000: now + 1 s + its output latency (Pd's scheduler advance).
    assert all(950 <= a <= 1100 for a in ahead), ahead
    # The metro runs from load: about 2 per second, the first heard 1 s after it starts.
    assert 8 <= len(heard) <= 12, heard


def pd_utc_seconds(line):
    y, mo, d, h, mi, s, ms = (int(float(v)) for v in line.split()[1:])
    return datetime.datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=datetime.timezone.utc).timestamp()


def test_example4_utc_both_ways(tmp_path):
    log = tmp_path / "pd.log"
    with pd_running(log, WORKSHOP / "ex4-utc.pd", send="workshop-send 1"):
        out = script("workshop_ex4_utc.py", "--count", "5", "--interval", "1", "--ahead", "1", "--linger", "1.5")
        wait_until(lambda: sum(l.startswith("utc:") for l in console(log)) >= 5, 3.0)
    sent = [float(v) + 1.0 for v in re.findall(r"^utc now ([\d.]+) = ", out, re.M)]
    printed = [pd_utc_seconds(l) for l in console(log) if l.startswith("utc:")]
    assert len(sent) == 5 and len(printed) == 5, (out, console(log))
    # Pd prints when each tick comes due: its timetag minus [fsync~]'s output latency
    # (what is computed now is heard that much later), read from its filtered clock.
    early_ms = [(t - p) * 1000 for t, p in zip(sent, printed)]
    print(f"Example 4: Pd's utc at each /pd tick, ms before its timetag: {np.round(early_ms, 1).tolist()}")
    assert all(0 <= e <= 100 for e in early_ms), early_ms
    received = re.findall(r"^received /py tick \| timetag (.+ UTC) \| arrived (.+ UTC)$", out, re.M)
    assert len(received) >= 3, out
