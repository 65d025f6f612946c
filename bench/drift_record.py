#!/usr/bin/env python3
"""Records one JACK port of one server (the server named by JACK_DEFAULT_SERVER) for
a while, with the wall-clock time of every process callback, into an .npz file.

    JACK_DEFAULT_SERVER=name python3 bench/drift_record.py --port siteA:output_1 --seconds 70 --out a.npz

Run one per server: one process cannot reliably hold JACK clients on two servers.
Prints `ready` once connected; every wait is bounded.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

import jack
import numpy as np


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--name", default="fsync-drift-rec")
    p.add_argument("--wait", type=float, default=20.0, help="seconds to wait for the port")
    a = p.parse_args()
    if not 1 <= a.seconds <= 900:
        p.error("seconds 1..900")
    client = jack.Client(a.name, no_start_server=True)
    sr = client.samplerate
    frames = int(a.seconds * sr)
    buffer = np.zeros(frames, dtype=np.float32)
    # (wall time at the callback, the cycle's first frame): preallocated, no growth in the callback.
    stamps = np.zeros((int(a.seconds * sr / 16) + 16, 2), dtype=np.float64)
    state = {"first": None, "n": 0, "at": 0}
    done = threading.Event()
    port = client.inports.register("in")

    @client.set_process_callback
    def process(blocksize: int) -> None:
        wall = time.time()
        frame = client.last_frame_time
        if state["first"] is None:
            state["first"] = frame
        at = frame - state["first"]
        n = state["n"]
        if n < len(stamps):
            stamps[n] = (wall, at)
            state["n"] = n + 1
        if at + blocksize > frames:
            done.set()
            return
        buffer[at : at + blocksize] = port.get_array()
        state["at"] = at + blocksize

    client.activate()
    try:
        deadline = time.time() + a.wait
        while time.time() < deadline:
            if client.get_ports(a.port):
                break
            time.sleep(0.1)
        else:
            print(f"port {a.port} did not appear", file=sys.stderr)
            return 2
        client.connect(a.port, port)
        print("ready", flush=True)
        done.wait(timeout=a.seconds + 30)
    finally:
        client.deactivate()
        client.close()
    np.savez(a.out, samples=buffer[: state["at"]], stamps=stamps[: state["n"]], sr=sr)
    print("saved", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
