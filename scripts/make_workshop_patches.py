"""Writes the workshop's four example systems as Pd patches in patches/workshop/
(ex1-messages.pd … ex4-utc.pd) and the workshop's own mrpeach receiver recipe for
comparison (ex-receiver-mrpeach.pd). Generated so object numbers in the connect
lines stay right. Ports and addresses are the workshop's: Pd listens on 8001 for
/pd, sends /py to Python on 8000. Then check they open cleanly: cargo test --test pd_help."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "patches", "workshop")


def esc(text):
    return text.replace("\\", "").replace(",", " \\,").replace(";", " \\;").replace("$", "\\$")


class Canvas:
    def __init__(self, below_text=0):
        """below_text: px to move everything under the description (y >= 150) down,
        for a longer description."""
        self.lines, self.connects, self.n, self.below_text = [], [], 0, below_text

    def y(self, y):
        return y + self.below_text if y >= 150 else y

    def add(self, line):
        self.lines.append(line + ";")
        self.n += 1
        return self.n - 1

    def obj(self, x, y, text):
        return self.add(f"#X obj {x} {self.y(y)} {text}")

    def msg(self, x, y, text):
        return self.add(f"#X msg {x} {self.y(y)} {text}")

    def text(self, x, y, text, width=None):
        return self.add(f"#X text {x} {self.y(y)} {esc(text)}" + (f", f {width}" if width else ""))

    def toggle(self, x, y, receive):
        return self.obj(x, y, f"tgl 19 0 empty {receive} empty 0 -10 0 12 #fcfcfc #000000 #000000 0 1")

    def wire(self, *chain):
        """wire(a, b, c): a:0 → b:0 → c:0; an item (k, outlet) or (k, outlet, inlet) picks ports."""
        for src, dst in zip(chain, chain[1:]):
            a, ao = (src[0], src[1]) if isinstance(src, tuple) else (src, 0)
            b, bi = (dst[0], dst[2] if len(dst) > 2 else 0) if isinstance(dst, tuple) else (dst, 0)
            self.connects.append((a, ao, b, bi))

    def render(self, w=900, h=640):
        head = [f"#N canvas 60 60 {w} {h} 12;", f"#X declare {self.declare};"]
        return "\n".join(head + self.lines + [f"#X connect {a} {ao} {b} {bi};" for a, ao, b, bi in self.connects]) + "\n"


# fsync~ and [fsync.send] are found in the package folder: installed (`make install`,
# deken) it is a standard path's fsync/, and these patches sit two folders below it
# (fsync/patches/workshop/); from the repository, Pd needs -path build (or an install).
DECLARE = "-path fsync -path ../.."


def common(c, x=560, y=20, declare=DECLARE):
    """declare, the tick in array1 read as the workshop does, DSP on."""
    c.declare = declare
    c.obj(20, 20, "declare " + declare)
    lb = c.obj(x, y, "loadbang")
    t = c.obj(x, y + 30, "t b b b")
    read = c.msg(x + 120, y + 60, "read -resize tick.wav array1")
    sf = c.obj(x + 120, y + 90, "soundfiler")
    dsp = c.msg(x, y + 130, "\\; pd dsp 1")
    c.obj(x, y + 180, "table array1")
    c.wire((t, 2), read, sf)
    c.wire(lb, t)
    c.wire((t, 0), dsp)
    c.text(x, y + 210, "tick.wav: python3 patches/workshop/make_tick.py (a 30 ms tick)", 40)
    return t


def to_python(c, x, y, ahead_ms=None):
    """[fsync.send 127.0.0.1 8000]: what Python listens to (stamped now + ahead_ms)."""
    return c.obj(x, y, "fsync.send 127.0.0.1 8000" + (f" {ahead_ms}" if ahead_ms is not None else ""))


def sound_out(c, src, x, y):
    gain = c.obj(x, y, "*~ 0.4")
    dac = c.obj(x, y + 30, "dac~")
    rec = c.obj(x + 80, y + 30, "s~ workshop-out")
    c.wire(src, gain, dac)
    c.wire(gain, (dac, 0, 1))
    c.wire(gain, rec)
    c.text(x + 80, y + 60, "(s~ workshop-out: for recording, as the tests do)", 30)


def ex1():
    c = Canvas()
    common(c)
    c.text(20, 50, "Example 1 - peer-to-peer messages (replaces the workshop's Example 1 Pd client). Python sends /pd <text> to port 8001: printed as pd-received. Pd sends /py Hello from Pd to Python on 8000: click the message or start the toggle (one a second). Python side: python3 python/examples/workshop_ex1_messages.py", 70)
    nr = c.obj(20, 160, "netreceive -u -b 8001")
    fs = c.obj(20, 200, "fsync~")
    c.wire(nr, fs)
    route = c.obj(20, 240, "route /pd")
    c.wire((fs, 1), route)
    c.wire(route, c.obj(20, 270, "print pd-received"))
    c.wire((route, 1), c.obj(200, 270, "print fsync~"))
    tg = c.toggle(300, 160, "workshop-send")
    c.text(325, 160, "<- send once a second (or: pd -send \"workshop-send 1\")", 30)
    metro = c.obj(300, 200, "metro 1000")
    hello = c.msg(300, 240, "bundle immediately /py Hello from Pd")
    c.wire(tg, metro, hello, to_python(c, 300, 330))
    return c


def ex2():
    c = Canvas()
    common(c)
    c.text(20, 50, "Example 2 - networked metronome, immediate timetags (replaces the workshop's Example 2 Pd client). Python sends an immediate bundle /pd tick every 0.5 s to port 8001: each plays array1 on arrival - every one \\, repeats are not duplicates. Pd sends immediate /py tick bundles to Python on 8000 with the toggle. Python side: python3 python/examples/workshop_ex2_metronome.py", 70)
    nr = c.obj(20, 160, "netreceive -u -b 8001")
    fs = c.obj(20, 200, "fsync~ -map /pd tick array1 -late join-or-play")
    c.wire(nr, fs)
    sound_out(c, fs, 20, 240)
    c.wire((fs, 1), c.obj(20, 360, "print fsync~"))
    tg = c.toggle(300, 240, "workshop-send")
    c.text(325, 240, "<- metronome to Python (or: pd -send \"workshop-send 1\")", 30)
    metro = c.obj(300, 270, "metro 500")
    tick = c.msg(300, 300, "bundle immediately /py tick")
    c.wire(tg, metro, tick, to_python(c, 300, 340))
    return c


def ex3():
    c = Canvas(below_text=40)
    common(c)
    c.text(20, 50, "Example 3 - forward synchronization with timetags (replaces the workshop's Example 3 Pd client). Python sends /pd tick stamped 1 s ahead: [fsync~] plays array1 at the timetag \\, sample-accurate. A bundle already late still sounds (-late join-or-play: a short tick plays from its start \\, reported late). The toggle sends /py tick stamped now + 1 s ([fsync.send] with ahead 1000 \\, from fsync~'s filtered clock) \\, and at 1000 /py tick plays it here at that same moment on the second [fsync~]. Python side: python3 python/examples/workshop_ex3_forward_sync.py", 70)
    nr = c.obj(20, 180, "netreceive -u -b 8001")
    fs = c.obj(20, 220, "fsync~ -map /pd tick array1 -late join-or-play")
    c.wire(nr, fs)
    local = c.obj(200, 560, "fsync~ -map /py tick array1 -late join-or-play")
    mix = c.obj(20, 260, "+~")
    c.wire(fs, mix)
    c.wire(local, (mix, 0, 1))
    sound_out(c, mix, 20, 290)
    c.wire((fs, 1), c.obj(20, 400, "print fsync~"))
    tg = c.toggle(300, 270, "workshop-send")
    c.text(325, 270, "<- metronome to Python (or: pd -send \"workshop-send 1\")", 30)
    metro = c.obj(300, 300, "metro 500")
    both = c.obj(300, 330, "t b b")
    here = c.msg(300, 400, "at 1000 /py tick")
    there = c.msg(440, 400, "send /py tick")
    c.wire(tg, metro, both, here, local)
    c.wire((both, 1), there, to_python(c, 440, 440, 1000))
    c.text(200, 600, "^ plays /py tick here at the moment its copy to Python is stamped for (now + 1 s: the bundle's timetag names when this Pd's sound of that moment is heard)", 45)
    return c


def ex4():
    c = Canvas(below_text=60)
    common(c)
    c.text(20, 50, "Example 4 - printing UTC timestamps (replaces the workshop's timestamp printing). Each /pd tick from Python (stamped 1 s ahead) comes out of [fsync~] at its time \\, which prints the wall-clock time then: utc <year> <month> <day> <hour> <minute> <second> <ms> from [fsync~]'s filtered clock (minus its output latency: what is computed now is heard that much later). Click utc for the time now. The toggle sends /py tick stamped now + 1 s to Python \\, which prints both times. Python side: python3 python/examples/workshop_ex4_utc.py", 70)
    nr = c.obj(20, 180, "netreceive -u -b 8001")
    fs = c.obj(20, 260, "fsync~")
    c.wire(nr, fs)
    route = c.obj(20, 300, "route /pd utc")
    c.wire((fs, 1), route)
    bang = c.obj(20, 330, "t b")
    # [delay 0]: the same logical time, but after [fsync~] has finished outputting.
    later = c.obj(20, 360, "delay 0")
    utc = c.msg(20, 220, "utc")
    c.wire(route, bang, later, utc, fs)
    c.wire((route, 1), c.obj(120, 330, "print utc"))
    c.wire((route, 2), c.obj(120, 400, "print fsync~"))
    tg = c.toggle(300, 260, "workshop-send")
    c.text(325, 260, "<- one a second to Python (or: pd -send \"workshop-send 1\")", 30)
    metro = c.obj(300, 290, "metro 1000")
    tick = c.msg(300, 320, "send /py tick")
    c.wire(tg, metro, tick, to_python(c, 300, 360, 1000))
    return c


def mrpeach():
    c = Canvas()
    common(c, declare="-path mrpeach")  # (the workshop's own objects only)
    c.text(20, 50, "The workshop's own receiver recipe \\, for comparison (mrpeach): [unpackOSC] reads the wall clock when the packet is handled \\, [pipelist] waits on a control clock \\, [tabplay~] starts at the next block. Same port \\, address and tick as the drop-ins. Measured in python/tests/test_workshop_examples.py.", 70)
    chain = [c.obj(20, 160 + 30 * i, text) for i, text in enumerate(["udpreceive 8001", "unpackOSC", "pipelist", "routeOSC /pd", "route tick", "tabplay~ array1"])]
    c.wire(*chain)  # udpreceive → unpackOSC → pipelist → routeOSC → route → tabplay~
    c.wire((chain[1], 1), (chain[2], 0, 1))  # unpackOSC's delay (ms until the timetag) → pipelist's delay
    sound_out(c, chain[-1], 20, 360)
    return c


def main():
    for name, make in [("ex1-messages", ex1), ("ex2-metronome", ex2), ("ex3-forward-sync", ex3), ("ex4-utc", ex4), ("ex-receiver-mrpeach", mrpeach)]:
        path = os.path.join(OUT, name + ".pd")
        with open(path, "w") as f:
            f.write(make().render())
        print("wrote", os.path.relpath(path, ROOT))


if __name__ == "__main__":
    main()
