"""Writes the Pd files shipped beside the external, from this one source:
pd-help/fsync~-help.pd (vanilla's reference layout: [pd reference] with INLETS /
OUTLETS / ARGUMENTS, examples with the readable messages first, "see also"),
abstractions/fsync.send.pd and abstractions/fsync.send-help.pd. Generated so object
numbers and OSC byte lists stay right. Then: cargo test --release --test pd_help."""
import os, re, sys
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'python'))
from fsync_tilde import packets, timetag

VERSION = re.search(r'^version = "(\d+\.\d+)', open(os.path.join(ROOT, 'Cargo.toml')).read(), re.M).group(1)


def esc(text):
    return text.replace('\\', '').replace(',', ' \\,').replace(';', ' \\;').replace('$', '\\$')


class Canvas:
    def __init__(self):
        self.lines = []; self.n = 0; self.connects = []
    def add(self, line):
        self.lines.append(line + ';'); self.n += 1; return self.n - 1
    # (Pd files write a dollar sign as \$; message boxes keep their own \; and \, escapes.)
    def obj(self, x, y, text): return self.add(f'#X obj {x} {y} ' + text.replace('$', '\\$'))
    def msg(self, x, y, text, width=None):
        return self.add(f'#X msg {x} {y} ' + text.replace('$', '\\$') + (f', f {width}' if width else ''))
    def text(self, x, y, text, width=None):
        return self.add(f'#X text {x} {y} {esc(text)}' + (f', f {width}' if width else ''))
    def rule(self, x, y, w, label='empty', thick=1, grey=False):
        """A vanilla help-file rule: cnv of height `thick`, with a label (INLETS:, 1st: ...)."""
        colour = '#9f9f9f' if grey else ('#202020' if label != 'empty' or thick > 1 else '#000000')
        dy = 18 if thick == 5 else 12
        return self.obj(x, y, f'cnv {thick} {w} {thick} empty empty {label} 8 {dy} 0 13 {colour} #000000 0')
    def sub(self, x, y, name, canvas, w=560, h=520):
        body = [f'#N canvas 200 100 {w} {h} {name} 0;'] + canvas.lines + [f'#X connect {a} {ao} {b} {bi};' for a, ao, b, bi in canvas.connects]
        self.lines.extend(body)
        return self.add(f'#X restore {x} {y} pd {name}')
    def connect(self, a, ao, b, bi): self.connects.append((a, ao, b, bi))
    def wires(self, *wires):
        for w in wires: self.connect(*w)
    def render(self, w, h):
        return '\n'.join([f'#N canvas 80 60 {w} {h} 12;'] + self.lines + [f'#X connect {a} {ao} {b} {bi};' for a, ao, b, bi in self.connects]) + '\n'


def wrapped_lines(text, width):
    """How many lines Pd draws a comment of `width` characters in (a ';' breaks the line)."""
    import textwrap
    return sum(max(1, len(textwrap.wrap(part.replace('\\', ''), width))) for part in text.split(';'))


def bytelist(b): return 'list ' + ' '.join(str(x) for x in b)


def ping_maker(c, x, y, sounds):
    """At load, fills each (array, Hz, decay_s) with a 0.2 s decaying sine at Pd's
    actual sample rate ([samplerate~]): loadbang -> samplerate~ -> resize, then an
    [until] loop writing expr's samples."""
    lb = c.obj(x, y, 'loadbang')
    sr = c.obj(x, y + 25, 'samplerate~')
    t = c.obj(x, y + 50, 't f f b')
    zero = c.msg(x + 160, y + 75, '0')
    size = c.obj(x, y + 75, '* 0.2')
    tsize = c.obj(x, y + 100, 't f f')
    resize = c.msg(x + 100, y + 125, ' '.join(f'\\; {a} resize $1' for a, _, _ in sounds))
    until = c.obj(x, y + 125, 'until')
    f = c.obj(x, y + 150, 'f')
    plus = c.obj(x + 40, y + 150, '+ 1')
    tff = c.obj(x, y + 175, 't f f')
    c.wires((lb, 0, sr, 0), (sr, 0, t, 0), (t, 2, zero, 0), (zero, 0, f, 1), (t, 0, size, 0), (size, 0, tsize, 0),
            (tsize, 1, resize, 0), (tsize, 0, until, 0), (until, 0, f, 0), (f, 0, plus, 0), (plus, 0, f, 1), (f, 0, tff, 0))
    for i, (array, hz, decay) in enumerate(sounds):
        ex = c.obj(x, y + 205 + 60 * i, f'expr sin($f1*6.2832*{hz}/$f2)*exp(-$f1/($f2*{decay}))')
        tw = c.obj(x, y + 230 + 60 * i, f'tabwrite {array}')
        c.wires((t, 1, ex, 1), (tff, 1, tw, 1), (tff, 0, ex, 0), (ex, 0, tw, 0))
    bottom = y + 205 + 60 * len(sounds)
    for i, (array, _, _) in enumerate(sounds):
        c.obj(x, bottom + 25 * i, f'table {array}')
    return bottom + 25 * len(sounds)


def send_abstraction():
    """abstractions/fsync.send.pd: [fsync.send <host> <port> [<ahead-ms>]]. Readable
    messages in, the OSC bundles fsync-send makes out over [netsend -u -b]: a /play
    always carries gain and offset (floats, defaults 1 and 0) as python/fsync_tilde/packets.py
    writes them. The timetag comes from an [fsync~] inside (its filtered clock, or
    logical seconds after 'clock logical'): vanilla Pd has no wall clock of its own."""
    a = Canvas()
    a.text(20, 10, '[fsync.send <host> <port> [<ahead-ms>]] - sends what fsync-send sends: play <array> [gain] [offset-ms] / stop [array] / send <address> [args] stamped now + ahead (default 500 ms) \\; bundle <ms>|immediately <address> [args] as [fsync~] \\; ahead <ms> / connect <host> <port> / disconnect / clock logical|system', 110)
    inlet = a.obj(20, 90, 'inlet')
    route = a.obj(20, 120, 'route play stop send bundle ahead connect disconnect clock')
    unknown = a.obj(640, 120, 'print fsync.send: unknown message')
    # play: pad to <array> <gain> <offset> with the defaults the list lacks.
    norm = a.obj(20, 170, 'list')
    tll = a.obj(20, 200, 't l l')
    length = a.obj(150, 230, 'list length')
    tbf = a.obj(150, 260, 't b f f')
    defaults = a.msg(150, 290, '0 1 0')
    split = a.obj(150, 320, 'list split')
    a.text(150, 350, '^ the defaults the list lacks: gain 1 \\, offset 0', 22)
    gate = a.obj(20, 330, 'spigot')
    padded = a.obj(20, 360, 'list append')
    # 1 to 3 arguments, or a usage line and nothing sent.
    ok = a.obj(400, 260, 'expr $f1 >= 1 && $f1 <= 3')
    tok = a.obj(400, 290, 't f f')
    bad = a.obj(400, 320, 'sel 0')
    usage = a.msg(400, 350, 'play <array> [gain] [offset_ms]')
    says = a.obj(400, 380, 'print fsync.send: usage')
    play = a.obj(20, 400, 'list prepend /play')
    stop = a.obj(200, 400, 'list prepend /stop')
    ahead = a.obj(20, 440, 'list prepend 500')
    a.text(160, 440, '<- ahead (ms)', 20)
    bundle = a.obj(20, 470, 'list prepend bundle')
    trim = a.obj(20, 500, 'list trim')
    fs = a.obj(20, 530, 'fsync~ -ping off')
    a.text(160, 530, '<- only makes the bundles (its sound outlet is unused)', 30)
    packet = a.obj(20, 580, 'route packet')
    send = a.obj(20, 610, 'list prepend send')
    trim2 = a.obj(20, 640, 'list trim')
    ns = a.obj(20, 670, 'netsend -u -b')
    connected = a.obj(20, 700, 'list prepend connected')
    trim3 = a.obj(20, 730, 'list trim')
    outlet = a.obj(20, 760, 'outlet')
    clock = a.obj(640, 470, 'list prepend clock')
    connect = a.obj(640, 580, 'list prepend connect')
    trim4 = a.obj(640, 610, 'list trim')
    disconnect = a.msg(800, 610, 'disconnect')
    lb = a.obj(640, 170, 'loadbang')
    tbb = a.obj(640, 200, 't b b')
    port = a.obj(640, 240, 'f $2')
    sel = a.obj(640, 270, 'sel 0')
    tb = a.obj(680, 300, 't b')
    hostport = a.obj(680, 330, 'list append $1 $2')
    a.text(820, 330, '<- connect at load', 14)
    arg3 = a.obj(760, 240, 'f $3')
    sel3 = a.obj(760, 270, 'sel 0')
    for wire in [(inlet,0,route,0),(route,0,norm,0),(norm,0,tll,0),(tll,1,length,0),(length,0,tbf,0),(tbf,1,split,1),(tbf,0,defaults,0),
                 (defaults,0,split,0),(split,1,padded,1),(tll,0,gate,0),(gate,0,padded,0),
                 (tbf,2,ok,0),(ok,0,tok,0),(tok,1,gate,1),(tok,0,bad,0),(bad,0,usage,0),(usage,0,says,0),(padded,0,play,0),(play,0,ahead,0),(route,1,stop,0),(stop,0,ahead,0),
                 (route,2,ahead,0),(ahead,0,bundle,0),(route,3,bundle,0),(bundle,0,trim,0),(trim,0,fs,0),(fs,1,packet,0),(packet,0,send,0),
                 (send,0,trim2,0),(trim2,0,ns,0),(ns,0,connected,0),(connected,0,trim3,0),(trim3,0,outlet,0),(packet,1,outlet,0),
                 (route,4,ahead,1),(route,5,connect,0),(connect,0,trim4,0),(trim4,0,ns,0),(route,6,disconnect,0),(disconnect,0,ns,0),
                 (route,7,clock,0),(clock,0,trim,0),(lb,0,tbb,0),(tbb,1,arg3,0),(arg3,0,sel3,0),(sel3,1,ahead,1),(tbb,0,port,0),
                 (port,0,sel,0),(sel,1,tb,0),(tb,0,hostport,0),(hostport,0,connect,0),(route,8,unknown,0)]:
        a.connect(*wire)
    os.makedirs(os.path.join(ROOT, 'abstractions'), exist_ok=True)
    with open(os.path.join(ROOT, 'abstractions', 'fsync.send.pd'), 'w') as f:
        f.write(a.render(960, 800))


SOUND = 'fsync-help-sound'


def reference():
    """[pd reference]: vanilla's layout (INLETS / OUTLETS / ARGUMENTS, rules and 1st: labels)."""
    r = Canvas()
    W = 760
    r.obj(26, 9, 'fsync~')
    r.text(90, 9, '- start sounds at OSC timetags, sample-accurate')
    y = 40
    def header(label):
        nonlocal y
        r.rule(8, y, W, label, thick=5 if label == 'INLETS:' else 2); y += 30
    def port(label):
        nonlocal y
        r.rule(8, y, W, label, grey=True); y += 24
    def item(left, right, width=66):
        nonlocal y
        left = left.replace('|', ' | ')  # (Pd breaks long words mid-word)
        r.text(20, y, left, 24)
        r.text(230, y, right, width)
        y += 8 + 16 * max(wrapped_lines(left, 24), wrapped_lines(right, width))
    header('INLETS:')
    port('1st:')
    for left, right in [
        ('list <bytes...>', 'one OSC packet (bundle or message) as a list of byte floats - what [netreceive -u -b] and mrpeach [udpreceive] output'),
        ('play <array> [gain] [offset]', 'start <array> now, at the sample of the message\'s logical time (as a bare /play arriving now). gain default 1; offset in ms into the sound, default 0'),
        ('at <ms> <address> [args]', 'the OSC message <address> args due <ms> from now in Pd\'s logical time, to the sample - at 500 /play kick 0.8 \\, at 250 /stop \\, at 1000 /tempo 120 (forwarded then). Same map \\, queue \\, horizon as a packet'),
        ('bundle <ms>|immediately <address> [args]', 'Pd as a sender: outputs packet <bytes> - an OSC bundle stamped with the wall-clock time of now + ms (+ latency) \\; immediately: timetag 1. [fsync.send] does this and sends it'),
        ('stop', 'silence now and clear both queues'),
        ('clock [logical|system]', 'switch the time mode \\; alone: report clock <mode> <moved-ms> <jitter-ms> <latency-ms> <rate-ppm> <since-step-s> <steps>'),
        ('late join-or-play|join|play|drop', 'what a late event does (see [pd timing])'),
        ('drift [follow|off|<ppm>]', 'the pace of voices under -clock system \\; alone: print it'),
        ('map <address> [<first-arg>] <array>', 'make an OSC address play an array (/pd tick -> array1) \\; map alone lists the table \\; unmap [<address> [<first-arg>]] removes entries'),
        ('load <name> <path>', 'read a WAV/AIFF/FLAC file into the object (worker thread \\, resampled to Pd\'s rate \\, all channels) \\; /play <name> plays it. sounds <folder>: allow /load from it \\; sound-memory <MiB>'),
        ('arrays <name> <a1> <a2> ...', '/play <name> plays a1 on outlet 1 \\, a2 on outlet 2 ... (see [pd channels]) \\; arrays <name> alone forgets the set'),
        ('gain / latency / dedupe / horizon / queue / forwardbytes / voices <value>', 'as the flags of the same names'),
        ('offset <ms> / ping on|off / remote-offset on|off / allow <host|CIDR>', 'as the flags (clock correction and answers to peers \\, see docs/peers.md)'),
        ('utc', 'outputs utc <year> <month> <day> <hour> <minute> <second> <ms>: the wall-clock time now from the filtered clock'),
        ('print', 'queue \\, voices \\, map and sounds to the Pd window'),
    ]:
        item(left, right)
    r.text(20, y, 'OSC addresses in packets: /play <array> [gain] [offset_ms] - /stop [array] - /load <name> <path> (from a -sounds folder) - /fsync/ping \\, /fsync/offset (peers) - anything else is forwarded out the right outlet at its time as <address> <args...>', 100)
    y += 60
    header('OUTLETS:')
    port('1st:')
    item('signal', 'the mix of all voices (with -channels n: n signal outlets \\, one per channel)')
    port('rightmost:')
    for left, right in [
        ('scheduled <ms-ahead> <address>', 'an event was queued'),
        ('late <ms> <address>', 'it was due before it could be handled (then join / play / drop)'),
        ('done <array> / stolen <array>', 'a voice reached the end of its sound / was replaced (all voices busy)'),
        ('dropped <reason> <address>', 'not queued: queue-full \\, queue-bytes \\, too-far \\, duplicate \\, late \\, no-clock'),
        ('error <kind>', 'a packet or a play/at message was refused whole (bytes \\, decode \\, args \\, pattern \\, reserved \\, names) - why: on the console'),
        ('missing <array>', 'no array \\, set or sound of that name when the voice started'),
        ('clock step <ms> / lost <n>', 'the sound card\'s clock jumped / more reports in one block than fit'),
        ('packet <bytes...> / utc ... / offset <ms>', 'answers to bundle \\, utc \\, offset'),
        ('loaded <name> <frames> <channels> / error load <name>', 'a sound file was read / could not be'),
        ('<address> <args...>', 'forwarded OSC messages (e.g. /tempo 120 for [route /tempo])'),
    ]:
        item(left, right)
    header('ARGUMENTS:')
    port('flags:')
    for left, right in [
        ('-clock logical|system', 'how timetags are read (default system: wall clock \\; logical: seconds since Pd started)'),
        ('-late join-or-play|join|play|drop', 'what a late event does (default join-or-play)'),
        ('-gain <g>', 'master gain (default 1)'),
        ('-voices <n>', 'simultaneous voices (default 16 \\, 1..256) \\; when all are busy the oldest is replaced'),
        ('-queue <n>', 'capacity of each event queue (default 1024)'),
        ('-forwardbytes <n>', 'bytes the forwarded messages waiting may hold (default 4194304)'),
        ('-latency <ms>', 'output latency compensation (default: Pd\'s scheduler advance)'),
        ('-dedupe <ms>', 'a copy of a timed bundle within this window is ignored (default 100 \\, 0 = off)'),
        ('-horizon <s>', 'timetags further ahead are refused (default 60)'),
        ('-map <address> [<first-arg>] <array>', 'make an address play an array (repeatable)'),
        ('-sounds <folder>', '/load may read files inside it (repeatable \\, relative to the patch)'),
        ('-channels <n>', 'n signal outlets (default 1 \\, at most 64)'),
        ('-sound-memory <MiB>', 'memory all loaded sounds may take (default 512)'),
        ('-offset <ms>', 'clock correction: play as if this machine\'s clock read <ms> more (fsync-check --apply sets it)'),
        ('-ping on|off / -allow <host|CIDR> / -remote-offset on|off', 'answers to /fsync/ping \\, where they may go \\, /fsync/offset from the network'),
        ('-drift follow|off|<ppm>', 'under -clock system voices play at the wall clock\'s pace (default follow)'),
    ]:
        item(left, right)
    r.rule(8, y, W, thick=5)
    return r, y + 30


def timing():
    tm = Canvas()
    tips = [
     'Logical time: inside a DSP tick Pd\'s "now" is the END of the block being computed. An event due at time t plays at output sample round(t*sr) - inside the block \\, not at its edge (like vline~ \\, unlike tabplay~ banged from a clock). A play message starts at the sample of the logical time it arrives at \\; at <ms> ... exactly round(ms*sr/1000) samples later.',
     '-clock logical: timetag seconds (NTP seconds + fraction/2^32) are Pd logical seconds since Pd started. With DSP on from time 0 an event at t starts at sample round(t*sr): exact and repeatable \\, e.g. for offline rendering with pd -batch.',
     '-clock system: the timetag is wall-clock NTP time. Once per DSP tick fsync~ reads the monotonic clock against logical time and keeps a filtered estimate shared by every fsync~ in this Pd \\, and adds the exact wall-clock difference. Unlike unpackOSC it never reads the wall clock at control time \\, which jitters by milliseconds.',
     'Latency: Pd computes audio ahead of the sound card by its scheduler advance (-audiobuf). fsync~ starts the sound that much earlier (default) so it leaves the DAC at the timetag. Add the device\'s own latency with the latency message. Sites must also agree on wall-clock time: use NTP (chrony) or PTP \\; fsync-check measures it.',
     'Late events (due before they can be handled): join-or-play (default) = join if at most a tenth of the sound is skipped \\, else play \\; join = start at the arrival sample at the position the sound would have reached (sites stay aligned) \\; play = start from the beginning \\; drop = nothing. All report late <ms> <address>.',
     'Reblocked subpatches: in [block~ N] with N > 64 an event plays at its sample within the block as vline~ would \\; the subpatch itself delays by N-64 samples.',
    ]
    y = 15
    for text in tips:
        tm.text(15, y, text, 80)
        y += 22 * (len(text) // 75 + 2)
    return tm, y + 20


def channels():
    ch = Canvas()
    ch.text(15, 15, 'Stereo and more: [fsync~ -channels n] has n signal outlets. A loaded multichannel file plays one channel per outlet - so does a set of arrays named with the arrays message (what [soundfiler] read -resize file.wav left right leaves you). A mono array or file plays on every outlet. With more channels than outlets they fold onto the outlets (outlet k plays the mean of channels k \\, k+n \\, ...) so one outlet still hears all of a stereo file.', 80)
    ping_maker(ch, 400, 150, [('fsync-help-left', 440, 0.03), ('fsync-help-right', 880, 0.06)])
    lb = ch.obj(15, 150, 'loadbang')
    cdef = ch.msg(15, 180, 'arrays fsync-help-stereo fsync-help-left fsync-help-right', 30)
    ch.text(15, 240, '^ at load: a set of two arrays', 30)
    cplay = ch.msg(15, 290, 'play fsync-help-stereo')
    ch.text(200, 290, '<- 440 Hz left \\, 880 Hz right \\, same sample', 25)
    cmono = ch.msg(15, 340, f'play {SOUND}')
    ch.text(200, 340, '<- mono: on both outlets', 25)
    cfs = ch.obj(15, 400, 'fsync~ -channels 2')
    cml = ch.obj(15, 440, '*~ 0.2')
    cmr = ch.obj(100, 440, '*~ 0.2')
    cdac = ch.obj(15, 470, 'dac~ 1 2')
    cpr = ch.obj(200, 440, 'print fsync~-channels')
    ch.wires((lb, 0, cdef, 0), (cdef, 0, cfs, 0), (cplay, 0, cfs, 0), (cmono, 0, cfs, 0), (cfs, 0, cml, 0), (cfs, 1, cmr, 0),
             (cml, 0, cdac, 0), (cmr, 0, cdac, 1), (cfs, 2, cpr, 0))
    return ch, 620


def osc_bytes():
    """What the network brings: the packets as [netreceive -u -b] outputs them."""
    b = Canvas()
    b.text(15, 15, 'What the network brings: one datagram as a list of bytes. These three are what fsync-send (or any OSC sender) puts on the wire \\; this [fsync~] uses -clock logical (timetag = seconds since Pd started) so the third is a known moment.', 80)
    bare = packets.message('/play', [SOUND])
    m1 = b.msg(15, 90, bytelist(bare), 70)
    b.text(15, 140, '^ /play fsync-help-sound: a bare message plays at once (at the logical time it arrives - sub-block) - the same as the message play fsync-help-sound', 70)
    imm = packets.bundle(timetag.immediately(), [packets.play(SOUND, 0.5, 50.0)])
    m2 = b.msg(15, 200, bytelist(imm), 70)
    b.text(15, 275, '^ a bundle with timetag 1 ("immediately"): /play fsync-help-sound 0.5 50 (gain 0.5 \\, from 50 ms into the sound)', 70)
    late = packets.bundle(timetag.logical(1.0), [packets.play(SOUND)])
    m3 = b.msg(15, 320, bytelist(late), 70)
    b.text(15, 380, '^ a bundle due at logical time 1 s: by now it is late. With -late join-or-play (default) a sound this short plays from its start now and you see late below.', 70)
    fs = b.obj(15, 440, 'fsync~ -clock logical')
    mul = b.obj(15, 475, '*~ 0.2')
    dac = b.obj(15, 505, 'dac~')
    pr = b.obj(200, 475, 'print fsync~-bytes')
    b.text(15, 550, 'Pd as a sender without [fsync.send]: bundle <ms> <address> [args] makes such a packet (stamped with the wall-clock time of now + ms from fsync~\'s filtered clock) and outputs it as packet <bytes> - for [route packet] -> [list prepend send] -> [list trim] -> [netsend -u -b]:', 70)
    bm = b.msg(15, 630, f'bundle 200 /play {SOUND}')
    fs2 = b.obj(15, 665, 'fsync~')
    route = b.obj(15, 700, 'route packet')
    prepend = b.obj(15, 730, 'list prepend send')
    trim = b.obj(15, 760, 'list trim')
    ns = b.obj(15, 790, 'netsend -u -b')
    conn = b.msg(200, 760, 'connect 127.0.0.1 9000')
    b.text(200, 790, '<- to the receiver in the main patch', 25)
    b.wires((m1, 0, fs, 0), (m2, 0, fs, 0), (m3, 0, fs, 0), (fs, 0, mul, 0), (mul, 0, dac, 0), (mul, 0, dac, 1), (fs, 1, pr, 0),
            (bm, 0, fs2, 0), (fs2, 1, route, 0), (route, 0, prepend, 0), (prepend, 0, trim, 0), (trim, 0, ns, 0), (conn, 0, ns, 0))
    return b, 840


def main_help():
    c = Canvas()
    c.obj(26, 9, 'fsync~')
    c.text(90, 9, '- start sounds at OSC timetags, sample-accurate')
    ref, ref_h = reference()
    c.sub(600, 9, 'reference', ref, 800, ref_h)
    c.text(710, 9, '<= click')
    c.rule(7, 36, 780)
    c.text(20, 45, 'A sender stamps an OSC bundle with a time slightly in the future and sends it to every site. Each [fsync~] maps the timetag to its own logical time and starts the sound at exactly that sample - so all sites play together. It replaces [udpreceive] -> [unpackOSC] -> [pipelist] -> [tabplay~] \\; in a patch \\, play and at start sounds now or later \\, to the sample.', 105)

    # 1) readable messages: play now, at later
    c.text(20, 120, '1) From the patch: play now \\, or at a time to come (Pd\'s logical time \\, sub-block exact)', 100)
    m_play = c.msg(30, 150, f'play {SOUND}')
    c.text(250, 150, '<- now', 20)
    m_gain = c.msg(30, 180, f'play {SOUND} 0.5 50')
    c.text(250, 180, '<- gain 0.5 \\, from 50 ms into the sound', 30)
    m_at = c.msg(30, 210, f'at 500 /play {SOUND}')
    c.text(250, 210, '<- in 500 ms \\, to the sample', 30)
    m_at2 = c.msg(30, 245, f'at 250 /play {SOUND} 0.3 \\, at 500 /play {SOUND} 0.6', 70)
    m_fwd = c.msg(30, 285, 'at 1000 /tempo 120')
    c.text(200, 285, '<- any other address comes out the right outlet at its time', 30)
    m_stop = c.msg(30, 325, 'stop')
    m_print = c.msg(80, 325, 'print')
    m_clock = c.msg(135, 325, 'clock')
    m_bad = c.msg(195, 325, 'play')
    c.text(245, 325, '<- bad arguments: the reason on the console \\, error args on the right outlet \\, nothing else happens', 40)
    fs = c.obj(30, 380, 'fsync~')
    mul = c.obj(30, 415, '*~ 0.2')
    dac = c.obj(30, 445, 'dac~')
    tempo = c.obj(130, 415, 'route /tempo')
    c.wires((tempo, 0, c.obj(130, 445, 'print tempo'), 0), (tempo, 1, c.obj(240, 445, 'print fsync~'), 0))
    for m in (m_play, m_gain, m_at, m_at2, m_fwd, m_stop, m_print, m_clock, m_bad):
        c.connect(m, 0, fs, 0)
    c.wires((fs, 0, mul, 0), (mul, 0, dac, 0), (mul, 0, dac, 1), (fs, 1, tempo, 0))
    c.msg(30, 485, '\\; pd dsp 1')
    c.msg(120, 485, '\\; pd dsp 0')
    c.text(210, 490, '<- DSP on / off: needed to hear anything', 30)
    bottom = ping_maker(c, 580, 150, [(SOUND, 660, 0.03)])
    c.text(580, bottom + 5, '^ a 0.2 s 660 Hz ping made at load at Pd\'s own sample rate ([samplerate~]) - any Pd array works: graph \\, [table] \\, [array define] \\, [soundfiler] read -resize', 30)

    # 2) the network
    y = 560
    c.rule(7, y - 10, 780)
    c.text(20, y, '2) Over the network (default -clock system: timetags are wall-clock time \\; sites agree through NTP)', 100)
    nr = c.obj(30, y + 40, 'netreceive -u -b 9000')
    fs2 = c.obj(30, y + 75, 'fsync~')
    mul2 = c.obj(30, y + 110, '*~ 0.2')
    dac2 = c.obj(30, y + 140, 'dac~')
    pr2 = c.obj(130, y + 110, 'print fsync~-net')
    c.text(210, y + 40, '<- or mrpeach [udpreceive 9000]: both give one datagram as a list of bytes', 28)
    c.wires((nr, 0, fs2, 0), (fs2, 0, mul2, 0), (mul2, 0, dac2, 0), (mul2, 0, dac2, 1), (fs2, 1, pr2, 0))
    c.text(30, y + 180, 'From a terminal: fsync-send --to 127.0.0.1:9000 --ahead 0.2 play fsync-help-sound', 40)
    x = 470
    s_play = c.msg(x, y + 40, f'play {SOUND}')
    s_gain = c.msg(x, y + 70, f'play {SOUND} 0.5 50')
    s_stop = c.msg(x + 230, y + 40, 'stop')
    s_ahead = c.msg(x + 230, y + 70, 'ahead 200')
    s_send = c.msg(x, y + 100, 'send /tempo 120')
    send = c.obj(x, y + 135, 'fsync.send 127.0.0.1 9000')
    c.wires(*[(m, 0, send, 0) for m in (s_play, s_gain, s_stop, s_ahead, s_send)])
    c.text(x, y + 170, '^ [fsync.send <host> <port> [<ahead-ms>]] sends the bundles fsync-send makes: stamped now + ahead (default 500 ms) - here to the receiver on the left. Open it for its messages.', 40)

    # subpatches
    y = 830
    c.rule(7, y - 10, 780)
    c.text(20, y, 'More:', 10)
    tm, tm_h = timing()
    c.sub(80, y, 'timing', tm, 640, tm_h)
    ch, ch_h = channels()
    c.sub(180, y, 'channels', ch, 740, ch_h)
    ob, ob_h = osc_bytes()
    c.sub(290, y, 'osc-bytes', ob, 640, ob_h)
    c.text(400, y, '<- late events and logical time \\; several outlets \\; the bytes on the wire', 45)

    # see also
    y = 890
    c.rule(7, y - 10, 780)
    c.text(20, y, 'see also:')
    x = 100
    for name in ['netreceive', 'oscparse', 'vline~', 'tabplay~', 'soundfiler', 'fsync.send']:
        c.obj(x, y, name)
        x += 10 * len(name) + 25
    c.text(100, y + 30, 'mrpeach: [udpreceive] [unpackOSC] [pipelist] - the recipe fsync~ replaces', 60)
    c.text(600, y + 30, f'updated for fsync~ {VERSION}', 30)
    return c.render(800, 960)


def send_help():
    h = Canvas()
    h.obj(26, 9, 'fsync.send')
    h.text(120, 9, '- send what fsync-send sends \\, from a patch')
    h.rule(7, 36, 700)
    h.text(20, 45, '[fsync.send <host> <port> [<ahead-ms>]] makes OSC bundles stamped now + ahead (default 500 ms) - the very bytes fsync-send (python/fsync) sends: /play <array> <gain> <offset_ms> as floats - and sends them with [netsend -u -b]. The timetag comes from an [fsync~] inside (its filtered clock \\, plus its output latency: when this Pd\'s own sound of that moment is heard) \\; clock logical stamps Pd logical seconds for receivers with -clock logical.', 95)
    msgs = [
        ('play fsync-help-sound', 'now + ahead: /play <array> [gain=1] [offset_ms=0]'),
        ('play fsync-help-sound 0.5 50', 'gain 0.5 \\, from 50 ms into the sound'),
        ('stop', '/stop [array]'),
        ('send /tempo 120', 'any message (forwarded by [fsync~] at its time)'),
        ('bundle immediately /play fsync-help-sound', 'as [fsync~]\'s bundle: <ms>|immediately <address> [args]'),
        ('ahead 200', 'how far ahead play / stop / send are stamped (ms)'),
        ('connect 127.0.0.1 9001', 'another receiver'),
        ('disconnect', 'stop sending'),
        ('clock logical', 'or clock system (default)'),
    ]
    sender = h.obj(30, 470, 'fsync.send 127.0.0.1 9001')
    for i, (m, what) in enumerate(msgs):
        box = h.msg(30, 140 + 35 * i, m)
        h.text(380, 140 + 35 * i, what, 40)
        h.connect(box, 0, sender, 0)
    pr = h.obj(30, 505, 'print fsync.send')
    h.connect(sender, 0, pr, 0)
    h.text(230, 505, '<- connected 1|0 \\, and any error from the [fsync~] inside', 40)
    nr = h.obj(30, 560, 'netreceive -u -b 9001')
    fs = h.obj(30, 590, 'fsync~')
    h.wires((nr, 0, fs, 0), (fs, 1, h.obj(100, 620, 'print fsync~'), 0))
    h.text(230, 560, '<- a receiver here (in Pd \\, the sound file is needed where it plays: see fsync~\'s help)', 40)
    h.rule(7, 660, 700)
    h.text(20, 670, 'see also:')
    h.obj(100, 670, 'fsync~')
    h.obj(170, 670, 'netsend')
    h.text(500, 670, f'updated for fsync~ {VERSION}', 30)
    return h.render(720, 710)


send_abstraction()
with open(os.path.join(ROOT, 'pd-help', 'fsync~-help.pd'), 'w') as f:
    f.write(main_help())
with open(os.path.join(ROOT, 'abstractions', 'fsync.send-help.pd'), 'w') as f:
    f.write(send_help())
print('wrote pd-help/fsync~-help.pd, abstractions/fsync.send.pd, abstractions/fsync.send-help.pd')
