"""Writes pd-help/fsync~-help.pd (run from anywhere; the patch is generated so
its OSC byte lists stay right). Then check it opens cleanly: cargo test --test pd_help."""
import os, sys
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'python'))
from fsync_tilde import packets, timetag

def esc(text):
    return text.replace('\\', '').replace(',', ' \\,').replace(';', ' \\;').replace('$', '\\$')

class Canvas:
    def __init__(self):
        self.lines = []; self.n = 0; self.connects = []
    def add(self, line):
        self.lines.append(line + ';'); self.n += 1; return self.n - 1
    def obj(self, x, y, text): return self.add(f'#X obj {x} {y} {text}')
    def msg(self, x, y, text, width=None):
        return self.add(f'#X msg {x} {y} {text}' + (f', f {width}' if width else ''))
    def text(self, x, y, text, width=None):
        return self.add(f'#X text {x} {y} {esc(text)}' + (f', f {width}' if width else ''))
    def sub(self, x, y, name, canvas, w=560, h=520):
        body = [f'#N canvas 200 100 {w} {h} {name} 0;'] + canvas.lines + [f'#X connect {a} {ao} {b} {bi};' for a, ao, b, bi in canvas.connects]
        self.lines.extend(body)
        return self.add(f'#X restore {x} {y} pd {name}')
    def connect(self, a, ao, b, bi): self.connects.append((a, ao, b, bi))
    def render(self, w, h):
        return '\n'.join([f'#N canvas 80 60 {w} {h} 12;'] + self.lines + [f'#X connect {a} {ao} {b} {bi};' for a, ao, b, bi in self.connects]) + '\n'

def bytelist(b): return 'list ' + ' '.join(str(x) for x in b)

SOUND = 'fsync-help-sound'
c = Canvas()
c.obj(20, 15, 'fsync~')
c.text(85, 15, '- start arrays at OSC timetags, sample-accurate (forward synchronization)', 90)
c.text(20, 45, 'A sender stamps an OSC bundle with a time slightly in the future and sends it to every site. Each [fsync~] maps the timetag to its own logical time and starts the sound at exactly that sample - so all sites play together. It takes OSC packets as lists of byte floats from [netreceive -u -b] or mrpeach [udpreceive] and replaces [unpackOSC] -> [pipelist] -> [tabplay~].', 100)

# --- offline example (logical clock)
c.text(20, 150, '1) Without a network: click a packet. These use -clock logical (timetag = seconds since Pd started).', 100)
lb = c.obj(620, 190, 'loadbang')
t = c.obj(620, 215, 't b b')
rs = c.msg(730, 240, f'\\; {SOUND} resize 9600')
n = c.msg(620, 265, '9600')
until = c.obj(620, 290, 'until')
f = c.obj(620, 315, 'f')
plus = c.obj(660, 315, '+ 1')
tff = c.obj(620, 340, 't f f')
ex = c.obj(620, 365, 'expr sin($f1*6.2832*660/48000)*exp(-$f1/1500)')
tw = c.obj(620, 390, f'tabwrite {SOUND}')
zero = c.msg(680, 265, '0')
arr = c.obj(620, 420, f'table {SOUND} 9600')
c.text(620, 445, '<- a 0.2 s 660 Hz ping made at load (any Pd array works: graph, [table], [array define], [soundfiler] read -resize)', 34)
for a, ao, b, bi in [(lb,0,t,0),(t,1,rs,0),(t,1,zero,0),(zero,0,f,1),(t,0,n,0),(n,0,until,0),(until,0,f,0),(f,0,plus,0),(plus,0,f,1),(f,0,tff,0),(tff,1,tw,1),(tff,0,ex,0),(ex,0,tw,0)]:
    c.connect(a, ao, b, bi)

bare = packets.message('/play', [SOUND])
m1 = c.msg(20, 190, bytelist(bare), 70)
c.text(20, 240, '^ "/play fsync-help-sound": a bare message plays immediately (at the exact logical time it arrives - sub-block)', 70)
imm = packets.bundle(timetag.immediately(), [packets.play(SOUND, 0.5, 50.0)])
m2 = c.msg(20, 285, bytelist(imm), 70)
c.text(20, 360, '^ a bundle with timetag 1 ("immediately"): /play fsync-help-sound 0.5 50 (gain 0.5 \\, from 50 ms into the array)', 70)
late = packets.bundle(timetag.logical(1.0), [packets.play(SOUND)])
m3 = c.msg(20, 400, bytelist(late), 70)
c.text(20, 460, '^ a bundle due at logical time 1 s: by now it is late. With -late join-or-play (default) a sound this short plays from its start now (it would have been mostly over) and you see "late" below \\; with late join it starts where it would be by now - past the end \\, silent.', 70)
ctl = c.msg(20, 530, 'late play')
ctl2 = c.msg(110, 530, 'late join')
ctl3 = c.msg(200, 530, 'print')
ctl4 = c.msg(260, 530, 'stop')
ctl5 = c.msg(310, 530, 'clock')
fs = c.obj(20, 580, 'fsync~ -clock logical')
mul = c.obj(20, 620, '*~ 0.2')
dac = c.obj(20, 650, 'dac~')
pr = c.obj(200, 620, 'print fsync~')
c.text(330, 610, '<- status: scheduled <ms-ahead> <address> / late <ms> <address> / done <array> / stolen / dropped / missing / error / clock. Other OSC addresses come out here at their time \\, e.g. "/tempo 120" for [route /tempo].', 50)
c.text(380, 530, '<- DSP must be on to hear it:', 40)
dsp = c.msg(620, 530, '\\; pd dsp 1')
for m in (m1, m2, m3, ctl, ctl2, ctl3, ctl4, ctl5):
    c.connect(m, 0, fs, 0)
c.connect(fs, 0, mul, 0); c.connect(mul, 0, dac, 0); c.connect(mul, 0, dac, 1); c.connect(fs, 1, pr, 0)

# --- network example
c.text(20, 710, '2) Over the network (default -clock system: timetags are wall-clock time). In a terminal:', 100)
c.text(40, 740, 'fsync-send --to 127.0.0.1:9000 --ahead 0.2 play fsync-help-sound', 100)
nr = c.obj(20, 775, 'netreceive -u -b 9000')
fs2 = c.obj(20, 810, 'fsync~')
mul2 = c.obj(20, 845, '*~ 0.2')
dac2 = c.obj(20, 875, 'dac~')
pr2 = c.obj(120, 845, 'print fsync~-net')
c.text(240, 775, '<- or [udpreceive 9000] from mrpeach: both give one datagram as a list of bytes', 60)
c.connect(nr, 0, fs2, 0); c.connect(fs2, 0, mul2, 0); c.connect(mul2, 0, dac2, 0); c.connect(mul2, 0, dac2, 1); c.connect(fs2, 1, pr2, 0)

# --- reference subpatch
r = Canvas()
ref = [
 ('fsync~ - reference', None),
 ('Creation flags (any order):', None),
 ('-clock logical|system (default system): how timetags are read', None),
 ('-late join-or-play|join|play|drop (default join-or-play): what a late event does', None),
 ('-gain <g> (default 1): master gain', None),
 ('-voices <n> (default 16): simultaneous voices; when all are busy the oldest is replaced', None),
 ('-queue <n> (default 1024): capacity of the event queues; overflow is dropped and reported', None),
 ('-latency <ms> (default: Pd\'s scheduler advance): output latency compensation (system clock)', None),
 ('-dedupe <ms> (default 100): a copy of a timed bundle again within this window is ignored (0 = off) \\; bare messages and immediate bundles always play', None),
 ('-horizon <s> (default 60): timetags further ahead are refused', None),
 ('-forwardbytes <n> (default 4194304): bytes the forwarded messages waiting may hold; more are dropped and reported', None),
 ('-map <address> [<first-arg>] <array>: make an address play an array (repeatable)', None),
 ('-sounds <folder>: /load may read files inside it (repeatable \\, relative to the patch)', None),
 ('-channels <n> (default 1 \\, at most 64): n signal outlets \\; see [pd channels]', None),
 ('-sound-memory <MiB> (default 512): most memory all sounds loaded into the object may take', None),
 ('-offset <ms> (default 0): clock correction - play as if this machine\'s clock read <ms> more (a clock 5 ms ahead: -5) - fsync-check --apply sets it', None),
 ('-ping on|off (default on) - -allow <host|CIDR>: answers to /fsync/ping also go there (always: loopback and this machine\'s networks) - -remote-offset on|off (default on)', None),
 ('-drift follow|off|<ppm> (default follow): with the system clock \\, voices play at the pace of the wall clock measured against the sound card (resampled \\, within 1000 ppm) so long sounds stay together across sites \\; off: the card\'s own pace', None),
 ('Left inlet:', None),
 ('list <bytes...>: one OSC packet (bundle or message)', None),
 ('clock logical|system - clock alone reports: clock <mode> <wall-logical offset ms> <jitter ms> <latency ms>', None),
 ('late join-or-play|join|play|drop - utc - gain <g> - latency <ms> - dedupe <ms> - horizon <s> - queue <n> - forwardbytes <n> - voices <n>', None),
 ('drift follow|off|<ppm> - drift alone prints the pace applied (ppm) and the card\'s rate', None),
 ('map <address> [<first-arg>] <array> - map alone lists the table - unmap [<address> [<first-arg>]]', None),
 ('bundle <offset_ms>|immediately <address> [args]: Pd as a sender - outputs packet <bytes> stamped with the wall-clock time of now + offset (immediately: timetag 1) (for [netsend -u -b] via [route packet] [list prepend send] [list trim])', None),
 ('load <name> <path>: read a WAV/AIFF/FLAC file into the object (worker thread \\, resampled \\, all channels) - sounds <folder>: allow /load from it - sound-memory <MiB>', None),
 ('arrays <name> <array1> <array2> ...: /play <name> plays array1 on outlet 1 \\, array2 on outlet 2 ... (arrays <name> alone forgets it)', None),
 ('stop: silence now and clear the queues - print: queue and voices to the Pd window', None),
 ('offset <ms> - ping on|off - allow <host|CIDR> - remote-offset on|off: as the flags', None),
 ('OSC address space:', None),
 ('/play <array> [gain] [offset_ms]: at the timetag start a voice playing the array', None),
 ('/stop [array]: at the timetag stop all voices (or those playing the array) - sample exact', None),
 ('/load <name> <path>: read a sound file now from a -sounds folder (plain relative path only \\, no symlinks)', None),
 ('/fsync/ping <id> <port> [host]: answered over the object\'s own UDP socket (fsync-check: the clock offset between machines) - /fsync/offset <ms>: the correction (see docs/peers.md)', None),
 ('any other address: forwarded out the right outlet at its due time as <address> <args...>', None),
 ('Outlets:', None),
 ('left: signal - the mix of all voices (with -channels n: n signal outlets)', None),
 ('rightmost: scheduled <ms-ahead> <address> / late <ms-late> <address> / done <array> / stolen <array> / dropped queue-full|queue-bytes|too-far|duplicate|late|no-clock <address> / missing <array> / error bytes|decode|args|pattern|reserved|names / clock step <step-ms> / packet <bytes> / offset <ms> / utc <year> <month> <day> <hour> <minute> <second> <ms> / loaded <name> <frames> <channels> / lost <n> / forwarded OSC messages', None),
]
y = 15
for text, _ in ref:
    r.text(15, y, text, 80)
    y += 22 if len(text) < 80 else 44
c.sub(800, 560, 'reference', r, 640, y + 20)

# --- timing subpatch
tm = Canvas()
tips = [
 'Logical time: inside a DSP tick Pd\'s "now" is the END of the block being computed. An event due at time t plays at output sample round(t*sr) - inside the block \\, not at its edge (like vline~ \\, unlike tabplay~ banged from a clock).',
 '-clock logical: timetag seconds (NTP seconds + fraction/2^32) are Pd logical seconds since Pd started. With DSP on from time 0 an event at t starts at sample round(t*sr): exact and repeatable \\, e.g. for offline rendering with pd -batch.',
 '-clock system: the timetag is wall-clock NTP time. Once per DSP tick fsync~ reads the monotonic clock against logical time and keeps a filtered estimate (the earliest readings of each half second \\, fitted by a line: offset and drift \\; jumps found within 0.2 s) shared by every fsync~ in this Pd \\, and adds the exact wall-clock difference. Unlike unpackOSC it never reads the wall clock at control time \\, which jitters by milliseconds.',
 'Latency: Pd computes audio ahead of the sound card by its scheduler advance (-audiobuf). fsync~ starts the sound that much earlier (default) so it leaves the DAC at the timetag. Add the device\'s own latency with the latency message. Sites must also agree on wall-clock time: use NTP (chrony) or PTP.',
 'Late events (due before they can be handled): join-or-play (default) = join if at most a tenth of the sound is skipped \\, else play \\; join = start at the arrival sample at the position the sound would have reached (sites stay aligned) \\; play = start from the beginning \\; drop = nothing. All report late <ms> <address>.',
 'Reblocked subpatches: in [block~ N] with N > 64 an event plays at its sample within the block as vline~ would \\; the subpatch itself delays by N-64 samples.',
]
y = 15
for text in tips:
    tm.text(15, y, text, 80)
    y += 22 * (len(text) // 75 + 2)
c.sub(800, 590, 'timing', tm, 640, y + 20)

# --- channels subpatch: a set of arrays across two outlets
ch = Canvas()
ch.text(15, 15, 'Stereo and more: [fsync~ -channels n] has n signal outlets. A loaded multichannel file plays one channel per outlet - so does a set of arrays named with the arrays message (what [soundfiler] read -resize file.wav left right leaves you). A mono array or file plays on every outlet. With more channels than outlets they fold onto the outlets (outlet k plays the mean of channels k \\, k+n \\, ...) so one outlet still hears all of a stereo file.', 80)
clb = ch.obj(15, 150, 'loadbang')
ct = ch.obj(15, 175, 't b b b')
cdef = ch.msg(15, 340, 'arrays fsync-help-stereo fsync-help-left fsync-help-right', 34)
crs = ch.msg(250, 200, '\\; fsync-help-left resize 9600 \\; fsync-help-right resize 9600')
cn = ch.msg(130, 225, '9600')
cuntil = ch.obj(130, 250, 'until')
cf = ch.obj(130, 275, 'f')
cplus = ch.obj(170, 275, '+ 1')
ctff = ch.obj(130, 300, 't f f')
czero = ch.msg(190, 225, '0')
cl = ch.obj(380, 330, 'expr sin($f1*6.2832*440/48000)*exp(-$f1/1500)')
cr = ch.obj(380, 390, 'expr sin($f1*6.2832*880/48000)*exp(-$f1/3000)')
ctwl = ch.obj(380, 360, 'tabwrite fsync-help-left')
ctwr = ch.obj(380, 420, 'tabwrite fsync-help-right')
ch.obj(380, 450, 'table fsync-help-left 9600')
ch.obj(380, 475, 'table fsync-help-right 9600')
cplay = ch.msg(15, 420, bytelist(packets.message('/play', ['fsync-help-stereo'])), 40)
ch.text(15, 500, '^ /play fsync-help-stereo: 440 Hz left \\, 880 Hz right \\, same sample', 40)
cmono = ch.msg(15, 550, bytelist(packets.message('/play', [SOUND])), 40)
ch.text(15, 620, '^ /play fsync-help-sound: mono \\, on both outlets', 40)
cfs = ch.obj(15, 670, 'fsync~ -clock logical -channels 2')
cml = ch.obj(15, 710, '*~ 0.2')
cmr = ch.obj(100, 710, '*~ 0.2')
cdac = ch.obj(15, 740, 'dac~ 1 2')
cpr = ch.obj(260, 710, 'print fsync~-channels')
for a, ao, b, bi in [(clb,0,ct,0),(ct,2,crs,0),(ct,1,czero,0),(czero,0,cf,1),(ct,1,cn,0),(cn,0,cuntil,0),(cuntil,0,cf,0),(cf,0,cplus,0),(cplus,0,cf,1),(cf,0,ctff,0),
                     (ctff,1,ctwl,1),(ctff,1,ctwr,1),(ctff,0,cl,0),(ctff,0,cr,0),(cl,0,ctwl,0),(cr,0,ctwr,0),(ct,0,cdef,0),(cdef,0,cfs,0),(cplay,0,cfs,0),(cmono,0,cfs,0),
                     (cfs,0,cml,0),(cfs,1,cmr,0),(cml,0,cdac,0),(cmr,0,cdac,1),(cfs,2,cpr,0)]:
    ch.connect(a, ao, b, bi)
c.sub(800, 620, 'channels', ch, 740, 800)
c.text(800, 700, 'updated for fsync~ 0.2', 30)
open(os.path.join(ROOT, 'pd-help', 'fsync~-help.pd'), 'w').write(c.render(1000, 920))
print('ok', c.n)
