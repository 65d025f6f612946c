//! Runs real Pd (`pd -batch`) on a generated patch around `[fsync~]` and
//! returns what it recorded, sample by sample, and what it printed.
//!
//! Patch layout: a subpatch `[pd sub]` holds `[fsync~ args]` (and `[block~]`
//! if asked) with `[tabwrite~ rec]` on its signal outlet; its status outlet
//! goes to `[print fsync-status]` and `[s status-bus]`; `[s fsync-in]` also reaches fsync~. Packets and control
//! messages reach fsync~ from `[delay t]` → message box at logical time t.
//! DSP and recording start at logical 0, so recorded sample n ↔ time n/sr.
//!
//! Other Pd versions: with `FSYNC_PD_CHROOT=DIR` Pd runs as `chroot DIR pd` (or
//! `FSYNC_PD_BINARY`, e.g. `pd64`), the external and patch copied inside DIR
//! (scripts/pd-chroots.sh makes the chroots and runs the tests that way).

#![allow(dead_code)] // each test file uses a different part

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub enum Input {
    Packet(Vec<u8>),
    /// A control message as Pd text, e.g. `late drop`.
    Control(String),
    /// A message to anything, Pd text after `;`, e.g. `pd-arrays clear`.
    Global(String),
}

pub struct Patch {
    pub sr: u32,
    pub args: String,
    /// `[block~ …]` arguments for the subpatch around fsync~, e.g. "2048" or "1024 4";
    /// or "switch~ 64" for a `[switch~]` (off at load, `; sub-switch 1` turns it on).
    pub block: Option<String>,
    /// Arrays made with `[table]` inside `[pd arrays]` (deletable with `; pd-arrays clear`).
    pub arrays: Vec<(String, Vec<f32>)>,
    pub inputs: Vec<(f64, Input)>,
    pub length_ms: f64,
    /// Extra objects on the top canvas, e.g. `#X obj 10 600 r status-bus;`
    /// (status reaches them through `[r status-bus]`) …
    pub extra: Vec<String>,
    /// … and connections among them, numbered from 0 = the first extra object.
    pub extra_connects: Vec<(usize, usize, usize, usize)>,
    /// Run Pd in real time (-nosound) instead of -batch: for what waits on other
    /// threads (sound files are read on a worker thread).
    pub realtime: bool,
    /// Signal outlets (`-channels`): each is recorded; outlet `channels` is the status.
    pub channels: usize,
}

pub struct Run {
    /// Signal outlet 0 as recorded; `outlets` has every signal outlet.
    pub samples: Vec<f32>,
    pub outlets: Vec<Vec<f32>>,
    pub status: Vec<String>,
    pub stderr: String,
    pub exit_ok: bool,
}

impl Run {
    /// Console lines naming fsync~ that are errors.
    pub fn errors(&self) -> Vec<&str> {
        self.stderr.lines().filter(|l| l.contains("fsync~:") && !l.contains("sample-accurate")).collect()
    }

    pub fn status_with(&self, prefix: &str) -> Vec<&str> {
        self.status.iter().map(String::as_str).filter(|s| s.starts_with(prefix)).collect()
    }

    pub fn first_nonzero(&self) -> Option<usize> {
        self.samples.iter().position(|&x| x != 0.0)
    }
}

impl Patch {
    pub fn new(sr: u32, args: &str) -> Patch {
        Patch {
            sr,
            args: args.into(),
            block: None,
            arrays: vec![],
            inputs: vec![],
            length_ms: 200.0,
            extra: vec![],
            extra_connects: vec![],
            realtime: false,
            channels: 1,
        }
    }

    /// `-channels n`, every outlet recorded.
    pub fn channels(mut self, n: usize) -> Patch {
        self.args = format!("{} -channels {n}", self.args);
        self.channels = n;
        self
    }

    pub fn array(mut self, name: &str, values: Vec<f32>) -> Patch {
        self.arrays.push((name.into(), values));
        self
    }

    pub fn at(mut self, ms: f64, input: Input) -> Patch {
        self.inputs.push((ms, input));
        self
    }

    pub fn packet(self, ms: f64, bytes: Vec<u8>) -> Patch {
        self.at(ms, Input::Packet(bytes))
    }

    pub fn length(mut self, ms: f64) -> Patch {
        self.length_ms = ms;
        self
    }

    pub fn block(mut self, block: &str) -> Patch {
        self.block = Some(block.into());
        self
    }

    fn text(&self, wav: &Path) -> String {
        let n_rec = (self.length_ms * self.sr as f64 / 1000.0).ceil() as usize;
        let mut p = String::from("#N canvas 0 0 900 700 12;\n");
        let mut objects = 0usize;
        let mut add = |p: &mut String, line: String| {
            p.push_str(&line);
            p.push_str(";\n");
            objects += 1;
            objects - 1
        };
        // The fsync~ subpatch: inlet 0 messages, inlet 1 record bang; outlet: status.
        p.push_str("#N canvas 0 0 400 300 sub 0;\n");
        p.push_str("#X obj 10 10 inlet;\n#X obj 10 50 fsync~ ");
        p.push_str(&self.args);
        p.push_str(";\n#X obj 10 100 tabwrite~ rec;\n#X obj 200 100 outlet;\n#X obj 200 10 inlet;\n#X obj 100 10 r fsync-in;\n");
        let _ = writeln!(
            p,
            "#X connect 0 0 1 0;\n#X connect 1 0 2 0;\n#X connect 1 {} 3 0;\n#X connect 4 0 2 0;\n#X connect 5 0 1 0;",
            self.channels
        );
        let mut sub_objects = 6;
        if let Some(b) = &self.block {
            // `switch~ …` in `block` makes a switchable subpatch, controlled by `; sub-switch 0|1`.
            if let Some(args) = b.strip_prefix("switch~") {
                let _ = writeln!(p, "#X obj 300 10 switch~{args};\n#X obj 300 40 r sub-switch;\n#X connect 7 0 6 0;");
                sub_objects += 2;
            } else {
                let _ = writeln!(p, "#X obj 300 10 block~ {b};");
                sub_objects += 1;
            }
        }
        // Outlets after the first: one more [tabwrite~ rec<k>] each.
        for k in 1..self.channels {
            let _ = writeln!(
                p,
                "#X obj {} 130 tabwrite~ rec{k};\n#X connect 1 {k} {sub_objects} 0;\n#X connect 4 0 {sub_objects} 0;",
                10 + 60 * k
            );
            sub_objects += 1;
        }
        let sub = add(&mut p, "#X restore 10 300 pd sub".into());
        // Arrays, in a subpatch that a test may clear.
        p.push_str("#N canvas 0 0 400 300 arrays 0;\n");
        for (i, (name, values)) in self.arrays.iter().enumerate() {
            let _ = writeln!(p, "#X obj 10 {} table {name} {};", 10 + 30 * i, values.len().max(1));
        }
        add(&mut p, "#X restore 200 300 pd arrays".into());
        add(&mut p, format!("#X obj 400 300 table rec {n_rec}"));
        for k in 1..self.channels {
            add(&mut p, format!("#X obj 400 {} table rec{k} {n_rec}", 300 + 30 * k));
        }
        let loadbang = add(&mut p, "#X obj 10 10 loadbang".into());
        let trigger = add(&mut p, "#X obj 10 40 t b b b".into());
        let mut fill = String::from("#X msg 300 40 \\; pd dsp 1");
        for (name, values) in &self.arrays {
            for (chunk_index, chunk) in values.chunks(500).enumerate() {
                let _ = write!(fill, " \\; {name} {}", chunk_index * 500);
                for v in chunk {
                    let _ = write!(fill, " {v}");
                }
            }
        }
        let fill = add(&mut p, fill);
        let print = add(&mut p, "#X obj 10 400 print fsync-status".into());
        let bus = add(&mut p, "#X obj 200 400 s status-bus".into());
        let mut connects = vec![
            (loadbang, 0, trigger, 0),
            (trigger, 2, fill, 0),
            (trigger, 1, sub, 1),
            (sub, 0, print, 0),
            (sub, 0, bus, 0),
        ];
        for (i, (ms, input)) in self.inputs.iter().enumerate() {
            let y = 100 + 20 * i;
            let delay = add(&mut p, format!("#X obj 10 {y} delay {ms}"));
            let (content, target) = match input {
                Input::Packet(bytes) => {
                    (format!("list {}", bytes.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(" ")), Some(sub))
                }
                Input::Control(text) => (text.clone(), Some(sub)),
                Input::Global(text) => (format!("\\; {text}"), None),
            };
            let msg = add(&mut p, format!("#X msg 100 {y} {content}"));
            connects.push((trigger, 0, delay, 0));
            connects.push((delay, 0, msg, 0));
            if let Some(t) = target {
                connects.push((msg, 0, t, 0));
            }
        }
        let end = add(&mut p, format!("#X obj 600 10 delay {}", self.length_ms));
        let end_trigger = add(&mut p, "#X obj 600 40 t b b".into());
        let mut writes = format!("#X msg 700 70 write -wave -bytes 4 {} rec", wav.display());
        for k in 1..self.channels {
            let _ = write!(writes, " \\, write -wave -bytes 4 {} rec{k}", outlet_wav(wav, k).display());
        }
        let write = add(&mut p, writes);
        let soundfiler = add(&mut p, "#X obj 700 100 soundfiler".into());
        let quit = add(&mut p, "#X msg 600 130 \\; pd quit".into());
        connects.extend([
            (trigger, 0, end, 0),
            (end, 0, end_trigger, 0),
            (end_trigger, 1, write, 0),
            (write, 0, soundfiler, 0),
            (end_trigger, 0, quit, 0),
        ]);
        // Extra objects come last so their indices start at `objects`.
        let base = objects;
        for line in &self.extra {
            p.push_str(line);
            p.push('\n');
        }
        connects.extend(self.extra_connects.iter().map(|&(a, ao, b, bi)| (base + a, ao, base + b, bi)));
        for (a, ao, b, bi) in connects {
            let _ = writeln!(p, "#X connect {a} {ao} {b} {bi};");
        }
        p
    }

    pub fn run(&self) -> Run {
        self.run_under(&[])
    }

    /// Runs Pd under a wrapper command, e.g. `["valgrind", …]`.
    pub fn run_under(&self, wrapper: &[&str]) -> Run {
        let dir = scratch_dir();
        let wav = dir.join("rec.wav");
        let patch = dir.join("test.pd");
        std::fs::write(&patch, self.text(&pd_path(&wav))).unwrap();
        let out = if self.realtime {
            run_pd_realtime(&dir, &patch, self.sr, Duration::from_secs(30))
        } else {
            run_pd_under(wrapper, &dir, &patch, self.sr, Duration::from_secs(120))
        };
        let outlets: Vec<Vec<f32>> = (0..self.channels)
            .map(|k| outlet_wav(&wav, k))
            .map(|w| if w.exists() { read_float_wav(&w) } else { vec![] })
            .collect();
        let samples = outlets[0].clone();
        let status = out.stderr.lines().filter_map(|l| l.strip_prefix("fsync-status: ")).map(str::to_string).collect();
        // FSYNC_KEEP_TEST_DIR=1 keeps the patch and recording, to run them by hand.
        if std::env::var_os("FSYNC_KEEP_TEST_DIR").is_some() {
            eprintln!("kept {}", dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&dir);
        }
        Run { samples, outlets, status, stderr: out.stderr, exit_ok: out.exit_ok }
    }
}

/// Every file under `dir` (recursively) whose name ends in `.ext`.
pub fn files_with_extension(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_with_extension(&path, ext));
        } else if path.extension().is_some_and(|e| e == ext) {
            found.push(path);
        }
    }
    found
}

/// Where signal outlet `k` is recorded: `rec.wav`, then `rec1.wav`…
fn outlet_wav(wav: &Path, k: usize) -> PathBuf {
    if k == 0 { wav.to_path_buf() } else { wav.with_file_name(format!("rec{k}.wav")) }
}

pub struct PdOutput {
    pub stderr: String,
    pub exit_ok: bool,
}

/// `FSYNC_PD_CHROOT`: the root of a chroot holding the Pd to test, if any.
pub fn pd_chroot() -> Option<PathBuf> {
    std::env::var_os("FSYNC_PD_CHROOT").filter(|d| !d.is_empty()).map(PathBuf::from)
}

/// The Pd program: `pd`, or `FSYNC_PD_BINARY` (e.g. `pd64`).
pub fn pd_binary() -> String {
    std::env::var("FSYNC_PD_BINARY").ok().filter(|b| !b.is_empty()).unwrap_or_else(|| "pd".into())
}

/// A host path as Pd sees it (inside the chroot, if there is one).
pub fn pd_path(path: &Path) -> PathBuf {
    match pd_chroot() {
        Some(root) => {
            Path::new("/").join(path.strip_prefix(&root).expect("files Pd reads must be inside FSYNC_PD_CHROOT"))
        }
        None => path.to_path_buf(),
    }
}

/// `pd …`, or `chroot DIR pd …` with `FSYNC_PD_CHROOT`.
fn pd_command() -> Command {
    match pd_chroot() {
        Some(root) => {
            let mut command = Command::new("chroot");
            command.arg(root).arg(pd_binary());
            command
        }
        None => Command::new(pd_binary()),
    }
}

/// The file name Pd looks for: `.pd_linux` (any 32-bit Pd), or the
/// `NAME.linux-amd64-64.so` a double-precision Pd (0.55+) requires.
pub fn external_file_name() -> &'static str {
    if cfg!(feature = "pd64") { "fsync~.linux-amd64-64.so" } else { "fsync~.pd_linux" }
}

/// The built external, copied into `dir` under the name Pd looks for; or
/// `FSYNC_TEST_EXTERNAL` (a packaged binary: scripts/package.sh tests those).
pub fn install_external(dir: &Path) {
    if let Some(external) = std::env::var_os("FSYNC_TEST_EXTERNAL").filter(|e| !e.is_empty()) {
        std::fs::copy(&external, dir.join(external_file_name()))
            .expect("FSYNC_TEST_EXTERNAL must name a readable file");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test>: `cargo test` writes the cdylib next to it in deps/
    // (only `cargo build` copies it up to target/<profile>/), so take the newer one.
    let deps = exe.parent().unwrap();
    let candidates = [deps.join("libfsync.so"), deps.parent().unwrap().join("libfsync.so")];
    let lib = candidates
        .iter()
        .filter_map(|p| Some((std::fs::metadata(p).ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p.clone())
        .expect("libfsync.so not built");
    std::fs::copy(&lib, dir.join(external_file_name())).unwrap();
}

/// The abstractions shipped beside the external (`[fsync.send]`), copied into `dir`
/// as a package holds them.
pub fn install_abstractions(dir: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("abstractions");
    for path in files_with_extension(&from, "pd") {
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
}

/// A fresh directory with the external (and the abstractions) in it (inside the chroot, if testing one).
pub fn scratch_dir() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let base = pd_chroot().map_or_else(std::env::temp_dir, |root| root.join("tmp"));
    let dir = base.join(format!("fsync-test-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst)));
    std::fs::create_dir_all(&dir).unwrap();
    install_external(&dir);
    install_abstractions(&dir);
    dir
}

/// `pd -batch` on `patch`, killed after `limit`.
pub fn run_pd(dir: &Path, patch: &Path, sr: u32, limit: Duration) -> PdOutput {
    run_pd_under(&[], dir, patch, sr, limit)
}

pub fn run_pd_realtime(dir: &Path, patch: &Path, sr: u32, limit: Duration) -> PdOutput {
    run_pd_command(pd_command(), &["-nosound"], dir, patch, sr, limit)
}

pub fn run_pd_under(wrapper: &[&str], dir: &Path, patch: &Path, sr: u32, limit: Duration) -> PdOutput {
    let command = match wrapper {
        [first, rest @ ..] => {
            let mut command = Command::new(first);
            command.args(rest).arg("pd");
            command
        }
        [] => pd_command(),
    };
    run_pd_command(command, &["-batch", "-nosound"], dir, patch, sr, limit)
}

fn run_pd_command(mut command: Command, mode: &[&str], dir: &Path, patch: &Path, sr: u32, limit: Duration) -> PdOutput {
    let mut child = command
        .args(mode)
        .args(["-nogui", "-stderr", "-noprefs", "-r", &sr.to_string(), "-path"])
        .arg(pd_path(dir))
        .arg("-open")
        .arg(pd_path(patch))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pd must be installed (apt-get install puredata-core)");
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stderr = reader.join().unwrap_or_default();
    PdOutput { exit_ok: status.is_some_and(|s| s.success()), stderr }
}

/// 32-bit float WAV (what `soundfiler write -wave -bytes 4` writes).
pub fn read_float_wav(path: &Path) -> Vec<f32> {
    let data = std::fs::read(path).unwrap();
    assert_eq!(&data[0..4], b"RIFF");
    let mut at = 12;
    let mut format = 0u16;
    while at + 8 <= data.len() {
        let id = &data[at..at + 4];
        let size = u32::from_le_bytes(data[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = &data[at + 8..(at + 8 + size).min(data.len())];
        if id == b"fmt " {
            format = u16::from_le_bytes([body[0], body[1]]);
        } else if id == b"data" {
            assert!(format == 3 || format == 0xFFFE, "not a float WAV (format {format})");
            return body.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        }
        at += 8 + size + (size & 1);
    }
    panic!("no data chunk in {}", path.display());
}

/// OSC packets for tests, built with rosc.
pub mod osc {
    use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType, encoder};

    pub fn message(addr: &str, args: Vec<OscType>) -> OscPacket {
        OscPacket::Message(OscMessage { addr: addr.into(), args })
    }

    pub fn play(array: &str) -> OscPacket {
        message("/play", vec![OscType::String(array.into())])
    }

    /// A bundle due at `seconds` of Pd logical time (`-clock logical`).
    pub fn at(seconds: f64, content: Vec<OscPacket>) -> OscPacket {
        let whole = seconds.floor();
        let fractional = ((seconds - whole) * 4294967296.0).round() as u32;
        OscPacket::Bundle(OscBundle { timetag: OscTime { seconds: whole as u32, fractional }, content })
    }

    pub fn immediately(content: Vec<OscPacket>) -> OscPacket {
        OscPacket::Bundle(OscBundle { timetag: OscTime { seconds: 0, fractional: 1 }, content })
    }

    pub fn bytes(p: &OscPacket) -> Vec<u8> {
        encoder::encode(p).unwrap()
    }

    /// The timetag's seconds as fsync~ reads them (after 32.32 rounding).
    pub fn as_read(seconds: f64) -> f64 {
        let whole = seconds.floor();
        whole + ((seconds - whole) * 4294967296.0).round() / 4294967296.0
    }
}

/// A 16-bit PCM WAV file's bytes: `samples` interleaved over `channels`.
pub fn wav(rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
    let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut w = Vec::new();
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&channels.to_le_bytes());
    w.extend_from_slice(&rate.to_le_bytes());
    w.extend_from_slice(&rate.wrapping_mul(channels as u32 * 2).to_le_bytes());
    w.extend_from_slice(&(channels * 2).to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&(data.len() as u32).to_le_bytes());
    w.extend_from_slice(&data);
    w
}

/// 1, 2, 3, …: every output sample names the array index it came from.
pub fn ramp(n: usize) -> Vec<f32> {
    (1..=n).map(|i| i as f32).collect()
}

/// Where a ramp voice started: the sample holding 1.0, given nothing else plays.
pub fn onset_of_ramp(samples: &[f32], from: usize) -> Option<usize> {
    samples[from..].iter().position(|&x| x == 1.0).map(|i| i + from)
}

/// Expected output sample of an event at `ms` (Pd parses message floats as f32).
pub fn sample_of(ms: f64, sr: u32) -> usize {
    (ms * sr as f64 / 1000.0).round() as usize
}

pub fn f32_ms(ms: f64) -> f64 {
    ms as f32 as f64
}
