#!/usr/bin/env python3
"""Step 2: how late and how jittery "immediate" messages are. Sends N bundles with
timetag "immediately" to Pd (patches/steps/2-bundles-and-latency.pd), which echoes
each datagram back to port 9100; prints the round-trip figures. Half of a round trip
is roughly what a "play now" message costs, and its spread is what forward
synchronization removes."""

import socket
import statistics
import time

from fsync_tilde import Sender

N = 50
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
back.bind(("127.0.0.1", 9100))
back.settimeout(1.0)
rtts = []
with Sender([("127.0.0.1", 9000)], ahead=None) as sender:
    for i in range(N):
        t0 = time.perf_counter()
        sender.send("/ping", i)
        try:
            back.recv(2048)
            rtts.append((time.perf_counter() - t0) * 1000)
        except socket.timeout:
            pass
        time.sleep(0.05)
if rtts:
    rtts.sort()
    print(f"{len(rtts)}/{N} echoes; round trip ms: min {rtts[0]:.2f}, median {statistics.median(rtts):.2f}, "
          f"p95 {rtts[int(0.95 * (len(rtts) - 1))]:.2f}, max {rtts[-1]:.2f}")
else:
    print("no echo: is patches/steps/2-bundles-and-latency.pd open (pd -nogui -open ...)?")
