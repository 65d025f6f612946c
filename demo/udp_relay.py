"""A userspace UDP relay that adds random delay (normal, mean/sd in ms), and with
it reordering, and loss (the kernel here has no netem). Seeded, bounded, loopback only."""

from __future__ import annotations

import heapq
import random
import socket
import threading
import time


class UdpRelay:
    """Forwards datagrams arriving on 127.0.0.1:<listen> to 127.0.0.1:<target>."""

    MAX_PENDING = 10_000  # bounded: a flood is dropped, not buffered without end

    def __init__(self, routes: dict[int, int], delay_ms: float = 20.0, sd_ms: float = 5.0, loss: float = 0.0, seed: int = 1):
        self.routes, self.delay_ms, self.sd_ms, self.loss = routes, delay_ms, sd_ms, loss
        self.rng = random.Random(seed)
        self.pending: list[tuple[float, int, bytes, int]] = []
        self.counter = 0
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.sockets = {}
        for listen in routes:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", listen))
            s.settimeout(0.05)
            self.sockets[listen] = s
        self.out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.stats = {"received": 0, "lost": 0, "forwarded": 0}

    def _receive(self, listen: int) -> None:
        s = self.sockets[listen]
        while not self.stopped.is_set():
            try:
                data = s.recv(70000)
            except socket.timeout:
                continue
            with self.lock:
                self.stats["received"] += 1
                if self.rng.random() < self.loss or len(self.pending) >= self.MAX_PENDING:
                    self.stats["lost"] += 1
                    continue
                delay = max(0.0, self.rng.gauss(self.delay_ms, self.sd_ms)) / 1000
                self.counter += 1
                heapq.heappush(self.pending, (time.monotonic() + delay, self.counter, data, self.routes[listen]))

    def _forward(self) -> None:
        while not self.stopped.is_set():
            now = time.monotonic()
            due = []
            with self.lock:
                while self.pending and self.pending[0][0] <= now:
                    due.append(heapq.heappop(self.pending))
            for _, _, data, target in due:
                self.out.sendto(data, ("127.0.0.1", target))
                self.stats["forwarded"] += 1
            time.sleep(0.0005)

    def __enter__(self) -> "UdpRelay":
        self.threads = [threading.Thread(target=self._receive, args=(p,), daemon=True) for p in self.routes]
        self.threads.append(threading.Thread(target=self._forward, daemon=True))
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stopped.set()
        for t in self.threads:
            t.join(timeout=2)
        for s in [*self.sockets.values(), self.out]:
            s.close()
