"""fsync-check: are the sites' clocks together? An NTP-style exchange with each
[fsync~] (or fsync-play --listen): several pings, the one with the shortest round
trip kept; the offset of each site's clock from this machine's, its latency
compensation and jitter, and the error to expect between sites. --apply sends
each site the correction that aligns it (with this machine, or --reference: with
the first site).

    fsync-check --to 192.168.1.11:9000 --to 192.168.1.12:9000
    fsync-check --to 192.168.1.11:9000 --to 192.168.1.12:9000 --apply --reference
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import struct
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from pythonosc.osc_message import OscMessage

from . import args as checks
from . import net, peers
from ._version import __version__
from .cli import parse_target

Address = Tuple[str, int]
# Linux: the kernel's receive time of each datagram (the checker's t4 without
# the wake-up delay of this process). Falls back to time.time() after recv.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
MAX_ROUNDS = 200


@dataclass
class Round:
    t1: float  # checker sends
    t2: float  # site receives (site clock)
    t3: float  # site replies (site clock)
    t4: float  # checker receives

    @property
    def rtt(self) -> float:
        """Round trip minus the site's own time between receiving and replying (s)."""
        return (self.t4 - self.t1) - (self.t3 - self.t2)

    @property
    def offset(self) -> float:
        """Site clock minus checker clock (s), assuming equal delays both ways."""
        return ((self.t2 - self.t1) + (self.t3 - self.t4)) / 2


@dataclass
class SiteResult:
    to: str
    rounds: int
    answered: int = 0
    # Answers whose receipt time is the kernel's arrival stamp (see docs/peers.md).
    stamped: int = 0
    best: Optional[Round] = None
    latency_ms: float = float("nan")
    jitter_ms: float = float("nan")
    rate_ppm: float = float("nan")
    site_offset_ms: float = 0.0
    has_estimate: bool = False
    all_rounds: List[Round] = field(default_factory=list)
    extra: Dict[str, object] = field(default_factory=dict)

    @staticmethod
    def _legs_ms(rounds: List[Round]) -> float:
        """((min way there) − (min way back)) / 2, each leg's minimum taken on its own."""
        there = min(r.t2 - r.t1 for r in rounds)
        back = min(r.t4 - r.t3 for r in rounds)
        return (there - back) / 2 * 1000

    @property
    def offset_ms(self) -> float:
        """Site clock − checker clock (ms). Every delay on the way (a queue, a
        process woken late, Pd under load) only adds, so each leg's minimum over
        the rounds approaches the path's own delay: half their difference is the
        offset, if the path is as fast both ways. Better than the best round alone,
        which carries the asymmetry of its own two delays (measured through the
        test relay: best round 0.1 ms off, the best quarter's mean up to 0.26 ms
        under load, the legs 0.06). Assumes the two clocks' rates agree during the
        check (NTP-disciplined: < 1 ppm; an undisciplined 50 ppm over 4 s: 0.2 ms)."""
        return self._legs_ms(self.all_rounds)

    @property
    def spread_ms(self) -> float:
        """Half the difference between the estimates of the first and second half
        of the rounds: how well the estimate holds (0 with fewer than 4 rounds)."""
        if len(self.all_rounds) < 4:
            return 0.0
        half = len(self.all_rounds) // 2
        return abs(self._legs_ms(self.all_rounds[:half]) - self._legs_ms(self.all_rounds[half:])) / 2

    def as_json(self) -> Dict[str, object]:
        """The row fsync-check --json prints for this site."""
        out: Dict[str, object] = {"to": self.to, "rounds": self.rounds, "answered": self.answered, "stamped": self.stamped}
        if self.best:
            out.update(
                offset_ms=self.offset_ms,
                rtt_ms=self.best.rtt * 1000,
                best_round_offset_ms=self.best.offset * 1000,
                spread_ms=self.spread_ms,
                # Equal delays both ways is the exchange's only assumption: whatever
                # the path, the truth lies within half the shortest round trip.
                bound_ms=self.best.rtt * 1000 / 2,
                latency_ms=self.latency_ms,
                jitter_ms=self.jitter_ms,
                rate_ppm=self.rate_ppm,
                site_offset_ms=self.site_offset_ms,
                has_estimate=self.has_estimate,
            )
        else:
            out.update(offset_ms=None, rtt_ms=None, error="no answer")
        out.update(self.extra)
        return out


class Checker:
    """One UDP socket that pings sites (/fsync/ping) and sends them corrections
    (/fsync/offset); bound to `bind`, with the kernel's receive stamps where Linux has them."""
    def __init__(self, bind: Address = ("0.0.0.0", 0), family: int = socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind(bind)
        self.kernel_times = True
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except OSError:
            self.kernel_times = False
        self.port = self.sock.getsockname()[1]
        self.next_id = random.randrange(1, 2**30)

    def close(self) -> None:
        """Closes the socket."""
        self.sock.close()

    def _id(self) -> int:
        self.next_id = (self.next_id + 1) % 2**31
        return self.next_id

    def reply_host_for(self, to: Address) -> str:
        """This machine's address as seen from `to` (the route's source address)."""
        probe = socket.socket(self.sock.family, socket.SOCK_DGRAM)
        try:
            probe.connect(to)
            return probe.getsockname()[0]
        finally:
            probe.close()

    def _receive(self, deadline: float) -> Optional[Tuple[bytes, float]]:
        """One datagram and its receive time, or None at the deadline."""
        while True:
            left = deadline - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data, ancillary, _flags, _addr = self.sock.recvmsg(65536, 64)
            except socket.timeout:
                return None
            received = time.time()
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= 16:
                    sec, nsec = struct.unpack("@qq", payload[:16])
                    received = sec + nsec / 1e9
            return data, received

    def _await(self, address: str, ident: int, deadline: float) -> Optional[Tuple[OscMessage, float]]:
        while True:
            got = self._receive(deadline)
            if got is None:
                return None
            data, received = got
            try:
                msg = OscMessage(data)
            except Exception:  # noqa: BLE001 - anything from the network
                continue
            if msg.address == address and msg.params and msg.params[0] == ident:
                return msg, received

    def check(self, to: Address, reply: Optional[Address], rounds: int = 32, interval: float = 0.06, timeout: float = 0.5) -> SiteResult:
        """One site: `rounds` pings (see check_all)."""
        return self.check_all([to], [reply], rounds, interval, timeout)[0]

    def check_all(self, sites: List[Address], replies: List[Optional[Address]], rounds: int = 32, interval: float = 0.06,
                  timeout: float = 0.5) -> List[SiteResult]:
        """`rounds` pings to each site, the sites in turn within each round, so that
        all of them are measured under the same conditions (a busy moment here
        shifts every site alike, not one)."""
        answer_to = [r if r else (self.reply_host_for(to), self.port) for to, r in zip(sites, replies)]
        results = [SiteResult(to=f"{to[0]}:{to[1]}", rounds=rounds) for to in sites]
        order = list(range(len(sites)))
        for _ in range(rounds):
            started = time.time()
            # The first ping of a round meets a path woken from idle (measured: 0.1 ms
            # slower through the test relay): each site takes its turn at being first.
            order = order[1:] + order[:1]
            for i in order:
                self._ping(sites[i], answer_to[i][0], answer_to[i][1], timeout, results[i])
            # ≤ 20 answers a second per site: stay under it.
            time.sleep(max(0.0, interval - (time.time() - started)))
        return results

    def _ping(self, to: Address, reply_host: str, reply_port: int, timeout: float, result: SiteResult) -> None:
        ident = self._id()
        packet = peers.ping(ident, reply_port, reply_host)
        t1 = time.time()
        self.sock.sendto(packet, to)
        got = self._await(peers.PONG, ident, t1 + timeout)
        if got is None:
            return
        msg, t4 = got
        p = msg.params
        r = Round(t1, float(p[1]), float(p[2]), t4)
        result.answered += 1
        result.stamped += int(len(p) > 8 and bool(p[8]))
        result.all_rounds.append(r)
        if result.best is None or r.rtt < result.best.rtt:
            result.best = r
            result.latency_ms, result.jitter_ms, result.rate_ppm, result.site_offset_ms = (float(x) for x in p[3:7])
            result.has_estimate = bool(p[7])

    def set_offset(self, to: Address, reply: Optional[Address], ms: float, timeout: float = 1.0) -> Optional[Tuple[float, bool]]:
        """Sends the correction; the site's answer (offset in force, applied), or None."""
        reply_host, reply_port = reply if reply else (self.reply_host_for(to), self.port)
        for _attempt in range(3):
            ident = self._id()
            self.sock.sendto(peers.offset(ms, ident, reply_port, reply_host), to)
            got = self._await(peers.OFFSET_SET, ident, time.time() + timeout)
            if got is not None:
                p = got[0].params
                return float(p[1]), bool(p[2])
        return None


def predicted_error_ms(site: SiteResult, reference: Optional[SiteResult]) -> Tuple[float, float]:
    """How far this site's sound will be from the reference's (the checker: offset
    0): |offset difference|, and its standard error from the two measurements.
    (The sites' `jitter` is how late Pd reads its clock, which the filter removes:
    it is shown, not added.)"""
    if site.best is None:
        return float("nan"), float("nan")
    ref_offset = reference.offset_ms if reference and reference.best else 0.0
    ref_spread = reference.spread_ms if reference and reference.best else 0.0
    return abs(site.offset_ms - ref_offset), (site.spread_ms**2 + ref_spread**2) ** 0.5


def parse_bind(text: str) -> Address:
    """--bind HOST:PORT, where port 0 means any free port."""
    host, sep, port = text.rpartition(":")
    if sep and port == "0":
        return parse_target(f"{host}:1")[0], 0
    return parse_target(text)


def build_parser() -> argparse.ArgumentParser:
    """fsync-check's options."""
    p = argparse.ArgumentParser(prog="fsync-check", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--to", action="append", required=True, type=parse_target, metavar="HOST:PORT", help="a site's [fsync~] port (repeatable)")
    p.add_argument("--reply", action="append", type=parse_target, metavar="HOST:PORT",
                   help="where answers reach this checker, as the sites must address it (behind a relay or NAT): once for all sites or once per --to; default: this machine's address toward each site and the checker's port")
    p.add_argument("--bind", type=parse_bind, metavar="HOST:PORT", help="the checker's socket (default 0.0.0.0, any port: 0)")
    p.add_argument("--rounds", type=checks.integer_in(1, MAX_ROUNDS), default=32,
                   help=f"pings per site (1..{MAX_ROUNDS}, default 32); the offset is half the difference of the two legs' minima")
    p.add_argument("--interval", type=checks.number_in(0, 10, " s"), default=0.06, help="seconds between pings, 0..10 (sites answer at most 20 a second)")
    p.add_argument("--timeout", type=checks.number_in(0, 10, " s", low_open=True), default=0.5, help="seconds to wait for each answer, up to 10")
    p.add_argument("--warn-ms", type=checks.number_in(0, 1e6, " ms"), default=1.0,
                   help="warn when a site is further than this from the reference (default 1 ms)")
    p.add_argument("--apply", action="store_true", help="send each site the correction that aligns it (via /fsync/offset), then check again")
    p.add_argument("--reference", action="store_true", help="align with the first site instead of this machine")
    p.add_argument("--json", action="store_true", help="print a JSON list, one object per --to in order")
    p.add_argument("--raw", action="store_true", help="with --json: every round's four timestamps too")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    """fsync-check's entry point: 0 all answered, 1 a site did not answer or refused, 2 a bad value."""
    parser = build_parser()
    a = parser.parse_args(argv)
    if a.reply and len(a.reply) not in (1, len(a.to)):
        parser.error("--reply: once for all sites, or once per --to")
    replies: List[Optional[Address]] = [None] * len(a.to) if not a.reply else (a.reply * len(a.to) if len(a.reply) == 1 else a.reply)
    # Names resolved once, here; one socket, so one address family for every site.
    try:
        resolved = [net.resolve(host, port) for host, port in a.to]
    except ValueError as e:
        parser.error(f"--to: {e}")
    family = resolved[0][0]
    if any(f != family for f, _ in resolved):
        parser.error("--to: IPv4 and IPv6 sites in one check: run one fsync-check per address family")
    sites: List[Address] = [(sockaddr[0], sockaddr[1]) for _, sockaddr in resolved]
    bind = a.bind or (("::" if family == socket.AF_INET6 else "0.0.0.0"), 0)
    try:
        checker = Checker(bind, family)
    except (OSError, OverflowError) as e:
        parser.error(f"cannot open a socket on {bind[0]} port {bind[1]}: {e.strerror if isinstance(e, OSError) and e.strerror else e}")
    warnings: List[str] = []
    try:
        results = checker.check_all(sites, replies, a.rounds, a.interval, a.timeout)
        for r, (host, port) in zip(results, a.to):
            r.to = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # as the user named it
        reference = results[0] if a.reference else None
        for r in results:
            err, bound = predicted_error_ms(r, reference)
            r.extra.update(predicted_error_ms=err, predicted_error_spread_ms=bound)
            if r.best is None:
                warnings.append(f"{r.to}: no answer to {r.rounds} pings (is [fsync~] there, -ping on, and this machine allowed?)")
            elif err > a.warn_ms:
                warnings.append(f"{r.to}: {err:.3f} ms from the {'first site' if reference else 'checker'} (threshold {a.warn_ms} ms)")
            elif not r.has_estimate:
                warnings.append(f"{r.to}: DSP is off: the site cannot map timetags yet")
        if a.apply:
            ref_offset_ms = reference.offset_ms if reference and reference.best else 0.0
            for r, to, reply in zip(results, sites, replies):
                if r.best is None or (reference is r):
                    continue
                correction = r.site_offset_ms - (r.offset_ms - ref_offset_ms)
                if abs(correction) > peers.MAX_OFFSET_MS:
                    warnings.append(f"{r.to}: correction {correction:.3f} ms is beyond ±{peers.MAX_OFFSET_MS} ms: fix the machine's clock (NTP)")
                    continue
                answer = checker.set_offset(to, reply, correction)
                r.extra["applied_offset_ms"] = correction
                r.extra["applied"] = bool(answer and answer[1])
                if not r.extra["applied"]:
                    warnings.append(f"{r.to}: correction not applied ({'refused: -remote-offset off' if answer else 'no answer'})")
            after = checker.check_all(sites, replies, a.rounds, a.interval, a.timeout)
            ref_after = after[0] if a.reference else None
            for r, r2 in zip(results, after):
                if r2.best is not None:
                    r.extra["after_offset_ms"] = r2.offset_ms
                    r.extra["after_rtt_ms"] = r2.best.rtt * 1000
                    r.extra["after_predicted_error_ms"] = predicted_error_ms(r2, ref_after)[0]
    finally:
        checker.close()
    if a.json:
        rows = [r.as_json() for r in results]
        if a.raw:
            for row, r in zip(rows, results):
                row["raw"] = [[x.t1, x.t2, x.t3, x.t4] for x in r.all_rounds]
        print(json.dumps(rows, indent=1))
    else:
        print(f"{'site':<24} {'offset ms':>10} {'±':>7} {'rtt ms':>8} {'latency':>8} {'jitter':>7} {'ppm':>7} {'corr ms':>8} {'error ms':>9}")
        for r in results:
            j = r.as_json()
            if r.best is None:
                print(f"{r.to:<24} no answer")
                continue
            print(f"{r.to:<24} {j['offset_ms']:>10.3f} {j['spread_ms']:>7.3f} {j['rtt_ms']:>8.3f} {r.latency_ms:>8.2f} {r.jitter_ms:>7.3f} {r.rate_ppm:>7.1f} "
                  f"{r.site_offset_ms:>8.3f} {j['predicted_error_ms']:>9.3f}")
            if "applied_offset_ms" in j:
                after = j.get("after_offset_ms")
                print(f"{'':<24} correction {j['applied_offset_ms']:.3f} ms {'applied' if j['applied'] else 'NOT applied'}"
                      + (f"; offset now {after:.3f} ms, error {j['after_predicted_error_ms']:.3f} ms" if after is not None else ""))
        print("offset: site clock minus " + ("the first site's" if a.reference else "this machine's")
              + " (± its standard error); rtt: the shortest round trip; latency: the site's latency compensation; jitter: how late its Pd reads the clock"
              + " (filtered out); corr: the correction in force; error: how far its sound will be from the reference's")
    for w in warnings:
        print(f"fsync-check: WARNING {w}", file=sys.stderr)
    return 1 if any("no answer" in w or "not applied" in w for w in warnings) else 0


if __name__ == "__main__":
    raise SystemExit(main())
