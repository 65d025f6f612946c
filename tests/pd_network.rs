//! Packets over real UDP (loopback) into a real-time Pd: `[netreceive -u -b]`
//! (vanilla) and `[udpreceive]` (mrpeach) both feed `[fsync~]` unchanged.

mod harness;

use harness::osc::{bytes, immediately, play};
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A real-time Pd (-nosound: it polls sockets, unlike -batch) on a patch of ours;
/// its stderr lines arrive on a channel, each with the wall-clock time it was read.
struct LivePd {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<(String, f64)>,
    dir: std::path::PathBuf,
}

impl LivePd {
    fn start(patch: &str, extra_args: &[&str]) -> LivePd {
        let dir = harness::scratch_dir();
        let path = dir.join("live.pd");
        std::fs::write(&path, patch).unwrap();
        let mut child = Command::new("pd")
            .args(["-nosound", "-nogui", "-stderr", "-noprefs", "-r", "48000", "-path"])
            .arg(&dir)
            .args(extra_args)
            .arg("-open")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("pd must be installed");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
                let _ = tx.send((line, now));
            }
        });
        LivePd { child, lines, dir }
    }

    /// Waits (at most `limit`) for Pd to quit by itself; None if it had to be killed.
    fn wait(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Everything Pd printed (after it quit or was killed).
    fn output(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.lines.try_iter().map(|(l, _)| l).collect::<Vec<_>>().join("\n")
    }
}

impl Drop for LivePd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A real-time patch: `receiver` (object 0) → `[fsync~ -clock system]` (1); DSP on at
/// load (2, 3), quit after `quit_after_ms` (4, 5). `extra` adds objects from index 6
/// and their connections, e.g. a `[print fsync-status]` on outlet 1.
fn live_patch(receiver: &str, quit_after_ms: u32, extra: &str) -> String {
    format!(
        "#N canvas 0 0 600 400 12;\n\
         #X obj 10 10 {receiver};\n\
         #X obj 10 50 fsync~ -clock system;\n\
         #X obj 300 10 loadbang;\n\
         #X msg 300 40 \\; pd dsp 1;\n\
         #X obj 300 70 delay {quit_after_ms};\n\
         #X msg 300 100 \\; pd quit;\n\
         #X connect 0 0 1 0;\n#X connect 2 0 3 0;\n#X connect 2 0 4 0;\n#X connect 4 0 5 0;\n{extra}"
    )
}

/// Extra objects for `live_patch`: print what leaves fsync~'s status outlet.
const PRINT_STATUS: &str = "#X obj 10 90 print fsync-status;\n#X connect 1 1 6 0;\n";

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs a real-time Pd (it polls sockets, unlike -batch) with `receiver` → [fsync~],
/// sends `packets` to it after it has started, and returns its stderr.
fn run_live(receiver: &str, port: u16, packets: &[Vec<u8>]) -> String {
    // Objects 6 (print), 7 (the array), 8 (fills it at load).
    let src = "#X obj 200 10 table src 480;\n#X msg 200 40 \\; src const 0.5;\n#X connect 2 0 8 0;\n";
    let patch = live_patch(receiver, 1500, &format!("{PRINT_STATUS}{src}"));
    let mut pd = LivePd::start(&patch, &["-path", "/usr/lib/pd/extra/mrpeach"]);
    std::thread::sleep(Duration::from_millis(500)); // Pd starts and binds the port
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    for p in packets {
        socket.send_to(p, ("127.0.0.1", port)).unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    pd.wait(Duration::from_secs(10));
    pd.output()
}

fn check(receiver_for_port: impl Fn(u16) -> String) {
    let port = free_udp_port();
    let garbage = b"not osc at all".to_vec();
    let stderr = run_live(
        &receiver_for_port(port),
        port,
        &[bytes(&immediately(vec![play("src")])), garbage, bytes(&play("src"))],
    );
    let status: Vec<&str> = stderr.lines().filter_map(|l| l.strip_prefix("fsync-status: ")).collect();
    assert_eq!(status.iter().filter(|s| s.starts_with("scheduled")).count(), 2, "{stderr}");
    assert_eq!(status.iter().filter(|s| **s == "done src").count(), 2, "{stderr}");
    assert_eq!(status.iter().filter(|s| s.starts_with("error decode")).count(), 1, "{stderr}");
}

#[test]
fn vanilla_netreceive() {
    check(|port| format!("netreceive -u -b {port}"));
}

#[test]
fn mrpeach_udpreceive() {
    if !std::path::Path::new("/usr/lib/pd/extra/mrpeach").exists() {
        panic!("pd-mrpeach is not installed (apt-get install pd-mrpeach)");
    }
    check(|port| format!("udpreceive {port}"));
}

#[test]
fn a_flood_of_packets_leaves_pd_responsive_and_the_queue_bounded() {
    // 100 000 distinct bundles, due 30 s ahead, as fast as the socket takes them.
    // The kernel may drop some; of those Pd gets, 1024 (the queue) are kept and the
    // rest reported dropped; Pd still quits on time and prints its queue on request.
    let port = free_udp_port();
    // At 4 s: print, stop, print (the queue full, then empty); quit 100 ms later.
    let report = "#X obj 400 70 delay 4000;\n#X msg 400 100 print \\, stop \\, print;\n#X connect 2 0 6 0;\n#X connect 6 0 7 0;\n#X connect 7 0 1 0;\n";
    let patch = live_patch(&format!("netreceive -u -b {port}"), 4100, report);
    let start = Instant::now();
    let mut pd = LivePd::start(&patch, &[]);
    std::thread::sleep(Duration::from_millis(500));
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    let mut sent = 0;
    for i in 0..100_000u32 {
        let t = now + 30.0 + i as f64 * 1e-5;
        let whole = t.floor();
        let bundle = rosc::OscPacket::Bundle(rosc::OscBundle {
            timetag: rosc::OscTime {
                seconds: (whole as u64 + 2_208_988_800) as u32,
                fractional: ((t - whole) * 4294967296.0) as u32,
            },
            content: vec![play("src")],
        });
        if socket.send_to(&bytes(&bundle), ("127.0.0.1", port)).is_ok() {
            sent += 1;
        }
    }
    let exited = pd.wait(Duration::from_secs(30));
    let stderr = pd.output();
    let took = start.elapsed();
    println!("sent {sent} packets; Pd quit after {took:?}");
    assert!(exited.is_some_and(|s| s.success()), "Pd did not quit on its own:\n{}", &stderr[..stderr.len().min(3000)]);
    let queue_line = stderr.lines().find(|l| l.contains("queue ")).expect("print output");
    assert!(queue_line.contains("queue 1024/1024 audio"), "{queue_line}");
    assert!(stderr.contains("queue 0/1024 audio"), "stop cleared the queue");
}

#[test]
fn bundle_from_pd_carries_wall_clock_time_of_now_plus_offset() {
    // Real-time Pd: after 1 s of DSP, `bundle 200 /tick` must be stamped with the
    // wall-clock time of now + 200 ms (+ latency, here 0). -nosound lags the wall
    // clock by a few ms, so the check allows 50 ms.
    let patch = "#N canvas 0 0 600 400 12;\n\
         #X obj 10 50 fsync~ -clock system -latency 0;\n\
         #X obj 10 90 print out;\n\
         #X obj 300 10 loadbang;\n\
         #X msg 300 40 \\; pd dsp 1;\n\
         #X obj 300 70 delay 1000;\n\
         #X msg 300 100 bundle 200 /tick;\n\
         #X obj 300 130 delay 100;\n\
         #X msg 300 160 \\; pd quit;\n\
         #X connect 0 1 1 0;\n#X connect 2 0 3 0;\n#X connect 2 0 4 0;\n#X connect 4 0 5 0;\n#X connect 5 0 0 0;\n\
         #X connect 4 0 6 0;\n#X connect 6 0 7 0;\n";
    let pd = LivePd::start(patch, &["-sleepgrain", "0.5"]);
    let mut found = None;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) && found.is_none() {
        if let Ok((line, now)) = pd.lines.recv_timeout(Duration::from_millis(100))
            && let Some(rest) = line.strip_prefix("out: packet ")
        {
            let bytes: Vec<u8> = rest.split(' ').map(|b| b.parse().unwrap()).collect();
            found = Some((bytes, now));
        }
    }
    drop(pd);
    let (bytes, seen_at) = found.expect("no packet line");
    let (_, packet) = rosc::decoder::decode_udp(&bytes).unwrap();
    let rosc::OscPacket::Bundle(bundle) = packet else { panic!("not a bundle") };
    let unix = bundle.timetag.seconds as f64 - 2_208_988_800.0 + bundle.timetag.fractional as f64 / 4294967296.0;
    let error_ms = (unix - (seen_at + 0.2)) * 1000.0;
    println!("timetag − (wall clock when printed + 200 ms) = {error_ms:.2} ms");
    assert!(error_ms.abs() < 50.0, "{error_ms} ms");
    assert!(matches!(&bundle.content[0], rosc::OscPacket::Message(m) if m.addr == "/tick"));
}

#[test]
fn distinct_names_from_the_network_cannot_grow_pd_without_bound() {
    // Every forwarded address and string becomes a Pd symbol, never freed: past
    // 8192 distinct names from the network a new one is refused (`error names`),
    // known ones still pass.
    let port = free_udp_port();
    let patch = live_patch(&format!("netreceive -u -b {port}"), 5000, PRINT_STATUS);
    let mut pd = LivePd::start(&patch, &[]);
    std::thread::sleep(Duration::from_millis(500));
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let message =
        |address: String, arg: String| bytes(&harness::osc::message(&address, vec![rosc::OscType::String(arg)]));
    // 5000 packets, two new names each; in batches so the kernel keeps them all.
    for batch in 0..50 {
        for i in batch * 100..(batch + 1) * 100 {
            socket.send_to(&message(format!("/n{i}"), format!("s{i}")), ("127.0.0.1", port)).unwrap();
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    std::thread::sleep(Duration::from_millis(200));
    socket.send_to(&message("/n1".into(), "s2".into()), ("127.0.0.1", port)).unwrap();
    pd.wait(Duration::from_secs(15));
    let stderr = pd.output();
    let status: Vec<&str> = stderr.lines().filter_map(|l| l.strip_prefix("fsync-status: ")).collect();
    let forwarded = status.iter().filter(|s| s.starts_with("/n")).count();
    let refused = status.iter().filter(|s| **s == "error names").count();
    println!("forwarded {forwarded}, refused {refused}");
    assert_eq!(forwarded, 4096 + 1, "8192 names = 4096 packets, then the known /n1 s2");
    assert_eq!(refused, 5000 - 4096, "{}", &stderr[stderr.len().saturating_sub(2000)..]);
    assert_eq!(status.last(), Some(&"/n1 s2"));
    assert!(stderr.contains("distinct names (or 1 MiB of them) came from the network"));
}
