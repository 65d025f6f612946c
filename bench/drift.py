#!/usr/bin/env python3
"""Long sounds across sound cards whose rates differ: two live [fsync~] sites, each on
its own JACK dummy server, site B's server running fast under libfaketime (Pd itself
unfaked); one bundle starts a sound with a click every second at both; each server is
recorded from its own process and its frames mapped to wall time from that process's
callback times. Reports site B − site A per click, with `-drift follow` and `-drift off`.

    python3 bench/drift.py [--seconds 60] [--speed 1.0002] [--modes follow,off] [--plot bench/drift.png]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "demo"))
sys.path.insert(0, str(HERE.parent / "python"))

from fsync_tilde import Sender  # noqa: E402
from jack_server import JackServer  # noqa: E402
from onsets import summary  # noqa: E402
from site_process import SiteProcess  # noqa: E402

SR = 48000
CLICK = "clicks"
CLICK_SAMPLES = 48  # 1 ms rectangular: its rising edge crosses 0.5 at the onset, to a fraction of a sample
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def patch_text(port: int, seconds: int, drift: str) -> str:
    """netreceive → [fsync~ -drift …] → dac~, and a table of `seconds` s with a click at every second."""
    clicks = " ".join(f"\\; {CLICK} {k * SR} " + " ".join(["1"] * CLICK_SAMPLES) for k in range(seconds))
    return "\n".join([
        "#N canvas 0 0 600 400 12;",
        f"#X obj 10 10 netreceive -u -b {port};",
        f"#X obj 10 40 fsync~ -drift {drift};",
        "#X obj 10 70 dac~;",
        "#X obj 10 100 print fsync~;",
        f"#X obj 300 10 table {CLICK} {seconds * SR + SR};",
        "#X obj 300 40 loadbang;",
        f"#X msg 300 70 {clicks} \\; pd dsp 1;",
        "#X obj 300 100 metro 5000;",
        "#X msg 300 130 drift;",
        "#X connect 0 0 1 0;",
        "#X connect 6 0 8 0;",
        "#X connect 8 0 9 0;",
        "#X connect 9 0 1 0;",
        "#X connect 1 0 2 0;",
        "#X connect 1 1 3 0;",
        "#X connect 5 0 6 0;",
    ]) + "\n"


class Server(JackServer):
    """`jackd -d dummy` named `name`, optionally under libfaketime running `speed`× fast;
    stopped as demo/jack_server.py does (SIGINT), then our own leftovers removed.
    (Pd and every client must see the same /dev/shm as the server.)"""

    def __init__(self, name: str, speed: float | None):
        JackServer.__init__(self, name, rate=SR, period=256)
        self.speed = speed

    def __enter__(self) -> "Server":
        env = os.environ.copy()
        if self.speed is not None:
            env.update(LD_PRELOAD=FAKETIME_LIB, FAKETIME=f"+0 x{self.speed}")
        cmd = ["jackd", "-n", self.name, "-R", "-P", "70", "-d", "dummy", "-r", str(self.rate), "-p", str(self.period)]
        for attempt in range(6):
            self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
            time.sleep(1.5)
            if self.process.poll() is None:
                return self
            err = self.process.stderr.read()[-500:]
            # JACK's registry holds eight servers: other people's runs may fill it for a while.
            if "Too many servers" not in err or attempt == 5:
                raise RuntimeError(f"jackd {self.name} exited: {err}")
            print(f"jackd {self.name}: registry full, retrying in 20 s", file=sys.stderr, flush=True)
            time.sleep(20)
        return self

    def __exit__(self, *exc) -> None:
        JackServer.__exit__(self, *exc)
        # Our own leftovers only: this server's JACK entries and libfaketime's segment for its pid.
        for path in glob.glob(f"/dev/shm/jack*{self.name}*") + ([f"/dev/shm/faketime_shm_{self.process.pid}"] if self.process else []):
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.exists(path):
                os.remove(path)

    def env(self) -> dict[str, str]:
        return {**os.environ, "JACK_DEFAULT_SERVER": self.name}


class Site(SiteProcess):
    def __init__(self, name: str, server: Server, port: int, patch: Path, build: Path):
        SiteProcess.__init__(self)
        self.name, self.server, self.port, self.patch, self.build = name, server, port, patch, build

    def __enter__(self) -> "Site":
        cmd = ["pd", "-jack", "-jackname", self.name, "-nojackconnect", "-nogui", "-noprefs", "-stderr",
               "-r", str(SR), "-path", str(self.build), "-open", str(self.patch)]
        self.start(cmd, self.server.env())
        return self


class Recording(SiteProcess):
    """bench/drift_record.py on one server, in its own process."""

    def __init__(self, server: Server, port: str, seconds: float, out: Path, name: str):
        SiteProcess.__init__(self)
        self.server, self.port, self.seconds, self.out, self.name = server, port, seconds, out, name

    def __enter__(self) -> "Recording":
        cmd = [sys.executable, str(HERE / "drift_record.py"), "--port", self.port, "--seconds", str(self.seconds),
               "--out", str(self.out), "--name", self.name]
        self.start(cmd, self.server.env())
        return self

    def wait_for(self, word: str, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if word in self.lines:
                return
            if self.process and self.process.poll() is not None and word not in self.lines:
                break
            time.sleep(0.05)
        raise RuntimeError(f"recorder on {self.server.name}: no '{word}': {self.lines[-5:]}")


def frame_to_wall(stamps: np.ndarray, sr: float) -> tuple[np.ndarray, float, float]:
    """Line through the lower envelope (per second) of wall − frame/sr: the callback
    never comes early, often late. Returns (slope, intercept) of wall − frame/sr against
    frame, the server's rate against the wall clock in ppm, and the envelope's largest
    distance from the line (ms): well under 1 ms for a server that ran steadily, an xrun
    or a stalled server shows as milliseconds."""
    wall, frame = stamps[:, 0], stamps[:, 1]
    offset = wall - frame / sr
    second = (frame // sr).astype(int)
    xs, ys = [], []
    for s in np.unique(second)[1:]:  # (the first second: the client starting up)
        i = np.flatnonzero(second == s)
        j = i[np.argmin(offset[i])]
        xs.append(frame[j])
        ys.append(offset[j])
    slope, intercept = np.polyfit(xs, ys, 1)
    # wall = frame/sr·(1 + slope·sr) + …: the server plays 1/(1 + slope·sr) times the wall clock's pace.
    ppm = (1.0 / (1.0 + slope * sr) - 1.0) * 1e6
    worst_ms = float(np.max(np.abs(np.array(ys) - np.polyval([slope, intercept], xs)))) * 1000
    return np.array([slope, intercept]), ppm, worst_ms


def onsets(x: np.ndarray) -> np.ndarray:
    """Fractional frames where the signal rises through 0.5."""
    i = np.flatnonzero((x[:-1] < 0.5) & (x[1:] >= 0.5))
    return i + (0.5 - x[i]) / (x[i + 1] - x[i])


def analyse(recordings: dict[str, Path], tag: float, seconds: int) -> dict:
    sites = {}
    for site, path in recordings.items():
        data = np.load(path)
        sr = float(data["sr"])
        line, ppm, worst_ms = frame_to_wall(data["stamps"], sr)
        frames = onsets(data["samples"])
        walls = frames / sr + np.polyval(line, frames)
        sites[site] = {"ppm": ppm, "off_line_ms": worst_ms, "clicks": {int(round(w - tag)): w for w in walls if -0.5 < w - tag < seconds - 0.5}}
    rows = []
    for k in range(seconds):
        a, b = sites["A"]["clicks"].get(k), sites["B"]["clicks"].get(k)
        rows.append({"click": k, "a_minus_tag_ms": None if a is None else (a - tag - k) * 1000,
                     "b_minus_a": None if a is None or b is None else (b - a) * SR})
    diffs = [r["b_minus_a"] for r in rows if r["b_minus_a"] is not None]
    return {"rate_ppm": {s: sites[s]["ppm"] for s in sites}, "off_line_ms": {s: sites[s]["off_line_ms"] for s in sites}, "rows": rows, "b_minus_a": summary(diffs),
            "missing": sum(1 for r in rows if r["b_minus_a"] is None)}


def run(mode: str, a: argparse.Namespace, workdir: Path) -> dict:
    pid = os.getpid()
    names = {s: f"fsyncdrift{s}{pid}" for s in "AB"}
    ports = {s: free_udp_port() for s in "AB"}
    record_s = a.seconds + a.warmup + a.ahead + 3
    with Server(names["A"], None) as server_a, Server(names["B"], a.speed) as server_b:
        servers = {"A": server_a, "B": server_b}
        sites, recorders = {}, {}
        try:
            for s in "AB":
                patch = workdir / f"drift{s}.pd"
                patch.write_text(patch_text(ports[s], a.seconds, mode))
                sites[s] = Site(f"driftsite{s}{pid}", servers[s], ports[s], patch, Path(a.build).resolve()).__enter__()
            for s in "AB":
                recorders[s] = Recording(servers[s], f"driftsite{s}{pid}:output_1", record_s, workdir / f"{mode}{s}.npz",
                                         f"driftrec{s}{pid}").__enter__()
            for s in "AB":
                recorders[s].wait_for("ready", 30)
            time.sleep(a.warmup)  # the clock filter settles (2 s) and the pace locks
            with Sender([("127.0.0.1", ports["A"]), ("127.0.0.1", ports["B"])], ahead=a.ahead) as sender:
                tag = sender.play(CLICK).unix
            for s in "AB":
                recorders[s].wait_for("saved", record_s + 30)
            # What each site said: its last report of the pace, and any clock steps.
            status = {s: [l for l in sites[s].lines if "fsync~: drift" in l][-1:] + [l for l in sites[s].lines if "clock step" in l]
                      for s in "AB"}
        finally:
            for r in recorders.values():
                r.stop()
            for site in sites.values():
                site.stop()
    result = analyse({s: workdir / f"{mode}{s}.npz" for s in "AB"}, tag, a.seconds)
    result.update(mode=mode, speed=a.speed, seconds=a.seconds, status=status)
    return result


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for r in results:
        k = [row["click"] for row in r["rows"] if row["b_minus_a"] is not None]
        d = [row["b_minus_a"] for row in r["rows"] if row["b_minus_a"] is not None]
        label = f"-drift {r['mode']} (p99 |B−A| {r['b_minus_a'].get('p99', float('nan')):.1f})"
        axes[0].plot(k, d, ".-", label=label)
        if r["mode"] == "follow":
            axes[1].plot(k, d, ".-", color="tab:blue", label=label)
    axes[0].set_title(f"site B's card ×{results[0]['speed']}: B − A per click")
    axes[1].set_title("-drift follow, close up")
    for ax in axes:
        ax.set_xlabel("click (s after the timetag)")
        ax.set_ylabel("B − A (samples @ 48 kHz)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=int, default=60, help="length of the sound (a click every second)")
    p.add_argument("--speed", type=float, default=1.0002, help="site B's server runs this much fast (libfaketime)")
    p.add_argument("--modes", default="follow,off")
    p.add_argument("--warmup", type=float, default=5.0, help="seconds between starting the sites and sending")
    p.add_argument("--ahead", type=float, default=1.0)
    p.add_argument("--build", default=str(HERE.parent / "build"))
    p.add_argument("--plot", default=str(HERE / "drift.png"), help="PNG to write ('' for none)")
    p.add_argument("--json", help="all figures as JSON")
    p.add_argument("--rows", action="store_true", help="print every click")
    p.add_argument("--shared-shm", action="store_true",
                   help="use the machine's /dev/shm (by default the run gets a private one, see below)")
    a = p.parse_args()
    if not a.shared_shm and os.environ.get("FSYNC_DRIFT_PRIVATE_SHM") != "1" and os.geteuid() == 0 and shutil.which("unshare"):
        # JACK keeps its registry of servers (eight at most, never reclaimed for names not
        # reused), sockets and semaphores in /dev/shm, as libfaketime does its state. On a
        # machine where other runs leave servers behind the registry fills up ("Too many
        # servers already active"): run in a mount namespace with a /dev/shm of our own,
        # which vanishes with the run. Everything else (network, real-time scheduling) is shared.
        env = {**os.environ, "FSYNC_DRIFT_PRIVATE_SHM": "1"}
        cmd = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
               'mount -t tmpfs -o size=512m fsync-drift-shm /dev/shm && exec "$0" "$@"', sys.executable, *sys.argv]
        return subprocess.run(cmd, env=env).returncode
    modes = [m for m in a.modes.split(",") if m]
    if not (2 <= a.seconds <= 600 and 0.99 <= a.speed <= 1.01 and modes and all(m in ("follow", "off") for m in modes)
            and 3 <= a.warmup <= 60 and 0.2 <= a.ahead <= 10):
        p.error("seconds 2..600, speed 0.99..1.01, modes from follow,off, warmup 3..60, ahead 0.2..10")
    for tool, why in (("jackd", "jackd2"), ("pd", "puredata")):
        if shutil.which(tool) is None:
            print(f"drift: {tool} not found (install {why})", file=sys.stderr)
            return 2
    if not os.path.exists(FAKETIME_LIB):
        print("drift: libfaketime not found: apt-get install faketime", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory(prefix="fsync-drift-") as tmp:
        for mode in modes:
            results.append(run(mode, a, Path(tmp)))
    print(f"{a.seconds} s sound, a click every second; site B's JACK dummy server ×{a.speed} (libfaketime), 48 kHz, period 256")
    for r in results:
        d = r["b_minus_a"]
        rates = ", ".join(f"{s} {v:+.1f} ppm (off its line ≤ {r['off_line_ms'][s]:.2f} ms)" for s, v in r["rate_ppm"].items())
        if a.rows:
            for row in r["rows"]:
                print(f"  {r['mode']:>6} click {row['click']:>3}: B−A {row['b_minus_a'] if row['b_minus_a'] is None else round(row['b_minus_a'], 2)}")
        if d.get("n"):
            first = next(row["b_minus_a"] for row in r["rows"] if row["b_minus_a"] is not None)
            last = [row["b_minus_a"] for row in r["rows"] if row["b_minus_a"] is not None][-1]
            print(f"-drift {r['mode']:>6} | |B−A| p50 {d['p50']:7.2f}  p99 {d['p99']:7.2f}  max {d['absmax']:7.2f} samples | "
                  f"first {first:+8.2f} last {last:+8.2f} | clicks {d['n']}, missing {r['missing']} | servers {rates}")
        else:
            print(f"-drift {r['mode']:>6} | no pairs of clicks | missing {r['missing']} | {r['status']}")
        for s, lines in r["status"].items():
            for line in lines:
                print(f"   site {s}: {line}")
    if a.plot:
        plot(results, Path(a.plot))
        print(f"plot: {a.plot}")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    return 0 if all(r["b_minus_a"].get("n") for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
