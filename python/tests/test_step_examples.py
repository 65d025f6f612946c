"""The workshop's step scripts (python/examples/step*.py) against real Pd running
their patches (patches/steps/*.pd): each step must do what the workshop says it does.

Pd runs in real time with -nosound; its console (-stderr) goes to a file that is
read back. Figures are checked for sense, never for speed (machines are noisy)."""

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STEPS = ROOT / "patches" / "steps"
EXAMPLES = ROOT / "python" / "examples"
MRPEACH = Path("/usr/lib/pd/extra/mrpeach")
EXTERNAL = ROOT / "build" / "fsync~.pd_linux"

READY_TIMEOUT = 10.0  # s for Pd to bind its ports
SCRIPT_TIMEOUT = 30.0  # s for a step script
SETTLE_TIMEOUT = 5.0  # s for Pd's last lines after the script ends

needs_external = pytest.mark.skipif(not EXTERNAL.exists(), reason=f"{EXTERNAL} missing: run `make build`")

# What [print fsync~] shows when something went wrong (status outlet selectors).
FSYNC_TROUBLE = re.compile(r"^fsync~: (late|dropped|error|missing|lost|stolen)\b")


def socket_inodes(pid):
    """Inodes of the sockets process `pid` holds open."""
    inodes = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for fd in fds[:10000]:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(int(link[8:-1]))
    return inodes


def udp_sockets():
    """(local port, inode) of every bound UDP socket on this machine (IPv4 and IPv6)."""
    out = []
    for name in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) >= 10 and ":" in fields[1]:
                out.append((int(fields[1].rsplit(":", 1)[1], 16), int(fields[9])))
    return out


def bound_udp_ports(pid=None):
    """Local UDP ports with a socket bound, by anyone or only by process `pid`."""
    owned = socket_inodes(pid) if pid is not None else None
    return {port for port, inode in udp_sockets() if owned is None or inode in owned}


def check_alone(proc, ports):
    """Pd binds with SO_REUSEADDR, so a second Pd on the same port would quietly share
    (steal) the datagrams: say so rather than fail on missing lines."""
    owned = socket_inodes(proc.pid)
    others = sorted({port for port, inode in udp_sockets() if port in ports and inode not in owned})
    assert not others, f"another process bound UDP {others} during the test: datagrams may have gone to it"


def check_ports_free(ports):
    busy = sorted(set(ports) & bound_udp_ports())
    assert not busy, (
        f"UDP port(s) {busy} already in use (another Pd or workshop script still running?); "
        "the step scripts need them free"
    )


def console(log):
    return log.read_text(errors="replace").splitlines()


def wait_until(pred, timeout, step=0.05):
    """Polls `pred` until true or `timeout` s (bounded in time and count)."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / step) + 2):
        if pred():
            return True
        if time.monotonic() >= deadline:
            break
        time.sleep(step)
    return pred()


@contextmanager
def real_time_pd(patch, ports, log):
    """Real-time Pd with `patch` open, once `ports` are bound; killed on exit."""
    pd = shutil.which("pd")
    assert pd, "pd (puredata) not found on PATH: scripts/setup.sh installs it"
    assert MRPEACH.is_dir(), f"{MRPEACH} missing: install pd-mrpeach"
    check_ports_free(ports)
    cmd = [pd, "-nosound", "-nogui", "-stderr", "-noprefs", "-r", "48000",
           "-path", str(MRPEACH), "-path", str(ROOT / "build"), "-open", str(patch.relative_to(ROOT))]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        # Bound by this Pd: another process grabbing a port meanwhile must not pass for ready.
        ready = wait_until(lambda: proc.poll() is not None or set(ports) <= bound_udp_ports(proc.pid), READY_TIMEOUT)
        assert proc.poll() is None, f"Pd exited ({proc.returncode}) on start:\n" + "\n".join(console(log))
        assert ready, f"Pd did not bind UDP {sorted(ports)} within {READY_TIMEOUT} s:\n" + "\n".join(console(log))
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        print("--- Pd console ---\n" + "\n".join(console(log)))


def run_script(name):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "python"), env.get("PYTHONPATH")]))
    try:
        r = subprocess.run([sys.executable, str(EXAMPLES / name)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=SCRIPT_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        r = None
        said = b"".join(x if isinstance(x, bytes) else (x or "").encode() for x in (e.stdout, e.stderr))
    if r is None:
        pytest.fail(f"{name} did not finish within {SCRIPT_TIMEOUT} s (is Pd answering?); it printed:\n"
                    + said.decode(errors="replace"))
    print(f"--- {name} (exit {r.returncode}) ---\n{r.stdout}{r.stderr}")
    assert r.returncode == 0, f"{name} exited {r.returncode}:\n{r.stdout}{r.stderr}"
    return r.stdout


def test_step1_messages_reach_vanilla_and_mrpeach(tmp_path):
    log = tmp_path / "pd.log"
    expected = [f"vanilla: list hello world {i}" for i in range(3)] + [f"mrpeach: world {i}" for i in range(3)]
    with real_time_pd(STEPS / "1-messages.pd", {9000, 9001}, log) as pd:
        out = run_script("step1_messages.py")
        wait_until(lambda: all(line in console(log) for line in expected), SETTLE_TIMEOUT)
        check_alone(pd, {9000, 9001})
    lines = console(log)
    assert "sent 3" in out
    assert not [l for l in lines if "couldn't create" in l], "\n".join(lines)
    # [oscparse] turns /hello world i into the list `hello world i`; [routeOSC /hello] strips the address.
    assert [l for l in lines if l.startswith("vanilla:")] == expected[:3], "\n".join(lines)
    assert [l for l in lines if l.startswith("mrpeach:")] == expected[3:], "\n".join(lines)


@needs_external
def test_step2_pd_echoes_and_script_reports_round_trips(tmp_path):
    log = tmp_path / "pd.log"
    with real_time_pd(STEPS / "2-bundles-and-latency.pd", {9000}, log) as pd:
        check_ports_free({9100})  # the script binds it
        out = run_script("step2_latency.py")
        time.sleep(0.2)
        check_alone(pd, {9000})
    m = re.search(r"^(\d+)/50 echoes; round trip ms: min ([\d.]+), median ([\d.]+), p95 ([\d.]+), max ([\d.]+)$",
                  out, re.M)
    assert m, f"no round-trip summary in:\n{out}"
    echoes = int(m.group(1))
    lo, median, p95, hi = map(float, m.group(2, 3, 4, 5))
    assert echoes >= 45, out
    assert 0 < lo <= median <= p95 <= hi, out
    lines = console(log)
    # fsync~ forwards each "immediately" bundle's message to its status outlet at once.
    pings = {int(p.group(1)) for l in lines if (p := re.fullmatch(r"fsync~: /ping (\d+)", l))}
    assert len(pings) >= 45 and pings <= set(range(50)), "\n".join(lines)
    assert not [l for l in lines if FSYNC_TROUBLE.match(l)], "\n".join(lines)


@needs_external
def test_step3_fsync_schedules_and_plays_every_click(tmp_path):
    log = tmp_path / "pd.log"
    with real_time_pd(STEPS / "3-forward-sync.pd", {9000}, log) as pd:
        out = run_script("step3_forward.py")
        wait_until(lambda: sum(l == "fsync~: done click" for l in console(log)) >= 10, SETTLE_TIMEOUT)
        check_alone(pd, {9000})
    lines = console(log)
    assert len(re.findall(r"^timetag ", out, re.M)) == 10, out
    scheduled = [float(m.group(1)) for l in lines if (m := re.fullmatch(r"fsync~: scheduled (-?[\d.]+) /play", l))]
    done = sum(l == "fsync~: done click" for l in lines)
    trouble = [l for l in lines if FSYNC_TROUBLE.match(l) or "error" in l.lower()]
    median = statistics.median(scheduled) if scheduled else None
    print(f"scheduled ms ahead: {scheduled} (median {median}); done {done}")
    assert len(scheduled) == 10, "\n".join(lines)
    # ahead = due - arrival: sent 200 ms ahead over loopback, less Pd's output latency.
    assert all(150 <= ms <= 200 for ms in scheduled), scheduled
    assert done >= 9, "\n".join(lines)
    assert not trouble, "\n".join(trouble)
