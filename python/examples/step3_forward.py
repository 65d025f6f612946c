#!/usr/bin/env python3
"""Step 3: forward-synchronized playback on one site. Every 0.5 s, a /play click
bundle stamped 0.2 s ahead — stamped when it is sent, not once before the loop —
to patches/steps/3-forward-sync.pd; [fsync~] prints `scheduled <ms> /play`: about
175 ms here, the 200 ms ahead minus Pd's output latency, which fsync~ starts early by."""

import time

from fsync_tilde import Sender

with Sender([("127.0.0.1", 9000)], ahead=0.2) as sender:
    for _ in range(10):
        print(sender.play("click").describe())
        time.sleep(0.5)
