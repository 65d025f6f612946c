#!/usr/bin/env python3
"""Two machines on one: each site and the checker in a network namespace of its
own, joined through a hub namespace where a UDP relay adds delay and jitter both
ways; site B's Pd runs under libfaketime with its wall clock 5 ms ahead. Both Pd
sites play on one JACK dummy server (JACK talks over unix sockets in /dev/shm,
which network namespaces do not separate), recorded on one sample clock.

  1. 10 bundles, each to both sites through the relay: B plays ~240 samples early.
  2. fsync-check --json --apply from the checker's namespace: the offsets, the correction.
  3. 20 bundles more: the sites agree.
  4. 10 bundles to a multicast group (TTL 1) that both sites' [netreceive -u -b PORT GROUP] joined.

    sudo python3 demo/netns_sites.py [--json out.json]      (exit 77: namespaces not allowed here)

Topology (198.18.0.0/24, the benchmarking range, exists only inside these namespaces):
    checker 198.18.0.2 ─┐
    site A  198.18.0.3 ─┼─ bridge in the hub 198.18.0.1 (relay: 9101→A:9001, 9102→B:9001, 9200→checker:9300)
    site B  198.18.0.4 ─┘
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from site_process import SiteProcess  # noqa: E402

SKIP = 77
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
NET = "198.18.0"
HUB, CHECKER, SITE_A, SITE_B = f"{NET}.1", f"{NET}.2", f"{NET}.3", f"{NET}.4"
SITE_PORT, MCAST_PORT, CHECKER_PORT = 9001, 9002, 9300
PY_MCAST_PORT = 9003  # fsync-play's receiver (fsync_tilde.receiver.Receiver, as --listen --group uses it)
RELAY_TO_A, RELAY_TO_B, RELAY_TO_CHECKER = 9101, 9102, 9200
GROUP = "239.255.18.1"
CLICK_SAMPLES = 48
PACKAGE_ENV = {**os.environ, "PYTHONPATH": str(ROOT / "python")}


def sh(*cmd: str, timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


class Namespaces:
    """hub + checker + two sites, each named with this pid; always deleted on exit."""

    def __init__(self) -> None:
        tag = os.getpid()
        self.hub, self.checker, self.a, self.b = (f"fs{k}{tag}" for k in "hcab")
        self.made: list[str] = []

    def __enter__(self) -> "Namespaces":
        try:
            for ns in (self.hub, self.checker, self.a, self.b):
                r = sh("ip", "netns", "add", ns)
                if r.returncode != 0:
                    raise PermissionError(f"ip netns add {ns}: {r.stderr.strip()}")
                self.made.append(ns)
                self.run(ns, "ip", "link", "set", "lo", "up")
            hub = self.hub
            self.run(hub, "ip", "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
            self.run(hub, "ip", "addr", "add", f"{HUB}/24", "dev", "br0")
            self.run(hub, "ip", "link", "set", "br0", "up")
            for ns, addr, name in ((self.checker, CHECKER, "vc"), (self.a, SITE_A, "va"), (self.b, SITE_B, "vb")):
                # Both ends made inside the namespaces: nothing ever appears in the host's.
                self.run(hub, "ip", "link", "add", name, "type", "veth", "peer", "name", "eth0", "netns", ns)
                self.run(hub, "ip", "link", "set", name, "master", "br0", "up")
                self.run(ns, "ip", "addr", "add", f"{addr}/24", "dev", "eth0")
                self.run(ns, "ip", "link", "set", "eth0", "up")
                self.run(ns, "ip", "route", "add", "default", "via", HUB)  # and so the multicast route
            return self
        except BaseException:
            self.__exit__()
            raise

    @staticmethod
    def probe() -> "Namespaces":
        """One namespace made and deleted: PermissionError where that is not allowed."""
        ns = Namespaces()
        ns.hub, ns.checker, ns.a, ns.b = f"fsp{os.getpid()}", "", "", ""
        r = sh("ip", "netns", "add", ns.hub)
        if r.returncode != 0:
            raise PermissionError(f"ip netns add: {r.stderr.strip()}")
        ns.made.append(ns.hub)
        return ns

    def run(self, ns: str, *cmd: str) -> None:
        r = sh("ip", "netns", "exec", ns, *cmd)
        if r.returncode != 0:
            raise RuntimeError(f"in {ns}: {' '.join(cmd)}: {r.stderr.strip()}")

    def __exit__(self, *_exc) -> None:
        for ns in reversed(self.made):
            sh("ip", "netns", "del", ns)
        self.made.clear()


def patch_text(port: int, mport: int, group: str) -> str:
    """The plain receiver patch, plus a second [netreceive] on the multicast group."""
    ones = " ".join(["1"] * CLICK_SAMPLES)
    return "\n".join([
        "#N canvas 0 0 600 400 12;",
        f"#X obj 10 10 netreceive -u -b {port};",
        f"#X obj 200 10 netreceive -u -b {mport} {group};",
        "#X obj 10 50 fsync~;",
        "#X obj 10 90 dac~;",
        "#X obj 100 90 print fsync~;",
        "#X obj 300 10 table click 480;",
        "#X obj 300 40 loadbang;",
        f"#X msg 300 70 \\; click 0 {ones} \\; pd dsp 1;",
        "#X connect 0 0 2 0;",
        "#X connect 1 0 2 0;",
        "#X connect 2 0 3 0;",
        "#X connect 2 1 4 0;",
        "#X connect 6 0 7 0;",
    ]) + "\n"


class NsPd(SiteProcess):
    def __init__(self, ns: str, name: str, patch: Path, build: Path, fake_ms: float = 0.0):
        SiteProcess.__init__(self)
        self.ns, self.name, self.patch, self.build, self.fake_ms = ns, name, patch, build, fake_ms

    def __enter__(self) -> "NsPd":
        env = os.environ.copy()
        prefix = ["ip", "netns", "exec", self.ns]
        if self.fake_ms:
            prefix += ["env", f"LD_PRELOAD={FAKETIME_LIB}", f"FAKETIME={self.fake_ms / 1000:+.6f}", "FAKETIME_NO_CACHE=1"]
        cmd = prefix + ["pd", "-jack", "-jackname", self.name, "-nojackconnect", "-nogui", "-noprefs", "-stderr",
                        "-r", "48000", "-path", str(self.build), "-open", str(self.patch)]
        self.start(cmd, env)
        return self


def in_ns(ns: str, *cmd: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True, text=True, timeout=timeout, env=PACKAGE_ENV)


SEND = """
import json, sys, time
from fsync_tilde import Sender
targets, n, interval, ahead, ttl = json.loads(sys.argv[1])
tags = []
with Sender([tuple(t) for t in targets], ahead=ahead, ttl=ttl) as s:
    for _ in range(n):
        tags.append(s.play("click").unix)
        time.sleep(interval)
print(json.dumps(tags))
"""


LISTEN = """
import json, sys, time
from fsync_tilde.receiver import Receiver
group, port, seconds = json.loads(sys.argv[1])
r = Receiver(port, lambda name, gain, offset, due: print(json.dumps([name, due]), flush=True), {}, group=group)
print("listening", flush=True)
r.serve(seconds)
"""


def send(ns: str, targets, n: int, interval: float, ahead: float, ttl=None) -> list[float]:
    r = in_ns(ns, sys.executable, "-c", SEND, json.dumps([targets, n, interval, ahead, ttl]), timeout=n * interval + 30)
    if r.returncode != 0:
        raise RuntimeError(f"sender: {r.stderr[-800:]}")
    return json.loads(r.stdout)


def wait_for_ports(names: list[str], timeout: float = 15.0) -> None:
    import jack

    probe = jack.Client(f"fsync-probe{os.getpid()}", no_start_server=True)
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(n in {p.name for p in probe.get_ports()} for n in names):
                return
            time.sleep(0.1)
        raise RuntimeError(f"JACK ports {names} did not appear")
    finally:
        probe.close()


def onsets_of(tags, signal, sr, to_wall) -> list[tuple]:
    from onsets import onset

    slope, intercept = to_wall.coeffs
    rows = []
    for tag in tags:
        expected = int(round((tag - intercept) / slope))
        a, b = (onset(signal[k], expected, int(0.1 * sr), int(0.15 * sr)) for k in (0, 1))
        rows.append((a, b))
    return rows


def run(args) -> dict:
    # (Here, not at the top: the skip checks in main need neither numpy nor JACK-Client.)
    from jack_server import JackServer
    from onsets import summary

    build = Path(args.build).resolve()
    workdir = Path(tempfile.mkdtemp(prefix="fsync-netns-"))
    names = [f"nsA{os.getpid()}", f"nsB{os.getpid()}"]
    phases = {}
    try:
        with Namespaces() as ns, JackServer("fsyncnetns", period=256), contextlib.ExitStack() as stack:
            patch = workdir / "site.pd"
            patch.write_text(patch_text(SITE_PORT, MCAST_PORT, GROUP))
            relay_cmd = ["ip", "netns", "exec", ns.hub, sys.executable, str(HERE / "netns_relay.py"),
                         "--route", f"{HUB}:{RELAY_TO_A}={SITE_A}:{SITE_PORT}",
                         "--route", f"{HUB}:{RELAY_TO_B}={SITE_B}:{SITE_PORT}",
                         "--route", f"{HUB}:{RELAY_TO_CHECKER}={CHECKER}:{CHECKER_PORT}",
                         "--base-ms", str(args.base_ms), "--jitter-ms", str(args.jitter_ms), "--seconds", "300"]
            relay = SiteProcess()
            relay.start(relay_cmd, os.environ.copy())
            stack.callback(relay.stop)
            site_a = stack.enter_context(NsPd(ns.a, names[0], patch, build))
            site_b = stack.enter_context(NsPd(ns.b, names[1], patch, build, fake_ms=args.fake_ms))
            # fsync-play's receiver joined to the group in site A's namespace.
            listener = SiteProcess()
            listener.start(["ip", "netns", "exec", ns.a, sys.executable, "-c", LISTEN, json.dumps([GROUP, PY_MCAST_PORT, 120])], PACKAGE_ENV)
            stack.callback(listener.stop)
            sources = [f"{n}:output_1" for n in names]
            wait_for_ports(sources)
            from recorder import Recorder

            n1, n2, n3 = args.events, 2 * args.events, args.events
            duration = 3.0 + (n1 + n2 + n3) * args.interval + 25.0
            rec = stack.enter_context(Recorder(sources, duration, name=f"fsync-rec{os.getpid()}"))
            time.sleep(1.5)  # the clock filters settle on a few windows
            unicast = [(HUB, RELAY_TO_A), (HUB, RELAY_TO_B)]
            phases["before"] = send(ns.checker, unicast, n1, args.interval, args.ahead)
            check = in_ns(ns.checker, sys.executable, "-m", "fsync_tilde.check", "--to", f"{HUB}:{RELAY_TO_A}", "--to", f"{HUB}:{RELAY_TO_B}",
                          "--reply", f"{HUB}:{RELAY_TO_CHECKER}", "--bind", f"{CHECKER}:{CHECKER_PORT}",
                          "--rounds", str(args.rounds), "--json", "--raw", "--apply")
            if check.returncode not in (0, 1) or not check.stdout.strip().startswith("["):
                raise RuntimeError(f"fsync-check: {check.returncode} {check.stdout[-500:]} {check.stderr[-800:]}")
            checked = json.loads(check.stdout)
            time.sleep(0.3)
            phases["after"] = send(ns.checker, unicast, n2, args.interval, args.ahead)
            phases["multicast"] = send(ns.checker, [(GROUP, MCAST_PORT), (GROUP, PY_MCAST_PORT)], n3, args.interval, args.ahead, ttl=1)
            time.sleep(args.ahead + 0.5)
            heard = [json.loads(line)[1] for line in listener.lines if line.startswith("[")]
            to_wall, fit_rms_ms = rec.frame_to_wall()
            signal, sr = rec.buffer.copy(), rec.sr
            logs = {"A": list(site_a.lines), "B": list(site_b.lines), "relay": list(relay.lines)}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {"check": checked, "check_stderr": check.stderr, "sr": sr, "fit_rms_ms": fit_rms_ms, "fake_ms": args.fake_ms,
              "relay": f"{args.base_ms} ms + exponential jitter, mean {args.jitter_ms} ms, each way"}
    for phase, tags in phases.items():
        rows = onsets_of(tags, signal, sr, to_wall)
        diffs = [b - a for a, b in rows if a is not None and b is not None]
        result[phase] = {"events": len(tags), "missing": sum(x is None for r in rows for x in r), "b_minus_a_samples": summary(diffs), "diffs": diffs}
    result["python_multicast"] = {"sent": len(phases["multicast"]), "received": len(heard),
                                  "same_timetags": all(abs(a - b) < 1e-6 for a, b in zip(heard, phases["multicast"]))}
    result["logs"] = {k: [line for line in v if "error" in line or "offset" in line or "clock" in line or "xrun" in line.lower()][:20] for k, v in logs.items()}
    return result


def report(r: dict) -> None:
    print(f"site B's wall clock {r['fake_ms']:+g} ms (libfaketime); relay {r['relay']}; 48 kHz JACK dummy, period 256")
    for site, c in zip("AB", r["check"]):
        if c.get("offset_ms") is None:
            print(f"fsync-check {site} ({c['to']}): no answer")
            continue
        print(f"fsync-check {site} ({c['to']}): offset {c['offset_ms']:+.3f} ms, rtt {c['rtt_ms']:.3f} ms, latency {c['latency_ms']:.2f} ms, "
              f"jitter {c['jitter_ms']:.3f} ms; correction {c.get('applied_offset_ms', 0):+.3f} ms applied={c.get('applied')}; "
              f"after: offset {c.get('after_offset_ms', float('nan')):+.3f} ms")
    for phase in ("before", "after", "multicast"):
        d = r[phase]["b_minus_a_samples"]
        if d.get("n"):
            print(f"{phase:>9}: B-A mean {d['mean']:+.2f}, p50 |{d['p50']:.0f}|, p99 |{d['p99']:.0f}|, max |{d['absmax']:.0f}| samples, "
                  f"n {d['n']}, missing {r[phase]['missing']}")
        else:
            print(f"{phase:>9}: no onsets (missing {r[phase]['missing']})")
    pm = r["python_multicast"]
    print(f"fsync-play's receiver (--listen --group) in site A's namespace: {pm['received']} of {pm['sent']} multicast bundles, timetags {'equal' if pm['same_timetags'] else 'DIFFERENT'}")
    print(f"wall-clock fit residual {r['fit_rms_ms']:.3f} ms RMS")


def main() -> int:
    # SIGTERM (a test's timeout) unwinds like an exception, so every `finally` runs:
    # processes stopped, namespaces deleted.
    def on_term(*_):
        print("netns_sites: SIGTERM, cleaning up", file=sys.stderr, flush=True)
        sys.exit(143)

    signal.signal(signal.SIGTERM, on_term)
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=str(ROOT / "build"))
    p.add_argument("--events", type=int, default=10)
    p.add_argument("--interval", type=float, default=0.25)
    p.add_argument("--ahead", type=float, default=0.3)
    p.add_argument("--fake-ms", type=float, default=5.0, help="site B's wall clock is this far ahead (libfaketime)")
    p.add_argument("--base-ms", type=float, default=2.0, help="the relay's fixed delay each way")
    p.add_argument("--jitter-ms", type=float, default=1.0, help="the relay's mean exponential extra delay each way")
    p.add_argument("--rounds", type=int, default=60)
    p.add_argument("--json")
    a = p.parse_args()
    if not (1 <= a.events <= 200 and 0.05 <= a.interval <= 5 and 0.05 <= a.ahead <= 5 and abs(a.fake_ms) <= 1000):
        p.error("events 1..200, interval and ahead 0.05..5 s, fake 0..1000 ms")
    for tool, why in (("ip", "iproute2"), ("jackd", "jackd2"), ("pd", "puredata")):
        if shutil.which(tool) is None:
            print(f"netns_sites: {tool} not found (install {why})", file=sys.stderr)
            return SKIP
    if not Path(FAKETIME_LIB).exists():
        print(f"netns_sites: {FAKETIME_LIB} not found (apt-get install faketime)", file=sys.stderr)
        return SKIP
    if not (Path(a.build) / "fsync~.pd_linux").exists():
        print(f"netns_sites: {a.build}/fsync~.pd_linux not found: run `make build`", file=sys.stderr)
        return 2
    try:
        Namespaces.probe().__exit__()
        r = run(a)
    except PermissionError as e:
        print(f"netns_sites: network namespaces are not allowed here ({e}); needs root or CAP_NET_ADMIN + CAP_SYS_ADMIN", file=sys.stderr)
        return SKIP
    report(r)
    if a.json:
        Path(a.json).write_text(json.dumps(r, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
