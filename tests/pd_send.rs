//! `[fsync.send <host> <port>]`, the abstraction shipped with fsync~, in a real-time
//! Pd (it polls sockets, unlike -batch) on loopback: it sends the very OSC bytes
//! fsync-send (python/fsync_tilde/packets.py) makes, and a `[netreceive -u -b]` →
//! `[fsync~]` plays what it sends at the sample its timetag names.

mod harness;

use harness::{Input, Patch, ramp, sample_of};
use std::net::UdpSocket;
use std::time::{Duration, Instant};

/// The bytes python/fsync_tilde/packets.py makes for `expression` (Python, e.g.
/// `packets.play('src', 0.5, 0.0)`).
fn python_bytes(expression: &str) -> Vec<u8> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
    let script = format!(
        "import sys; sys.path.insert(0, {python:?}); from fsync_tilde import packets, timetag; sys.stdout.buffer.write({expression})"
    );
    let out = std::process::Command::new("python3").args(["-c", &script]).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

use std::path::Path;

/// A sender patch: `; to-sender <message>` at each time reaches `[fsync.send 127.0.0.1 <port> …]`.
fn with_sender(patch: Patch, args: &str) -> Patch {
    let mut patch = patch;
    patch.extra.push("#X obj 10 600 r to-sender;".into());
    patch.extra.push(format!("#X obj 10 630 fsync.send {args};"));
    patch.extra.push("#X obj 10 660 print sender-out;".into());
    patch.extra_connects.extend([(0, 0, 1, 0), (1, 0, 2, 0)]);
    patch.realtime = true;
    patch
}

/// Timetag seconds of a bundle (bytes 8..16).
fn timetag_seconds(datagram: &[u8]) -> f64 {
    let s = u32::from_be_bytes(datagram[8..12].try_into().unwrap()) as f64;
    let f = u32::from_be_bytes(datagram[12..16].try_into().unwrap()) as f64;
    s + f / 4294967296.0
}

#[test]
fn sends_the_bytes_fsync_send_makes() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let port = socket.local_addr().unwrap().port();
    let messages = [
        (10.0, "clock logical"),
        (20.0, "play"),
        (30.0, "play src 1 0 9"),
        (50.0, "play src 0.5"),
        (60.0, "stop"),
        (70.0, "send /tempo 120 fast"),
        (80.0, "bundle immediately /py tick"),
        (90.0, "ahead 250"),
        (100.0, "play src 1 20"),
        (110.0, "play kick"),
        (120.0, "stop kick"),
    ];
    let mut patch = with_sender(Patch::new(48000, "-clock logical").length(600.0), &format!("127.0.0.1 {port}"));
    for (ms, text) in messages {
        patch = patch.at(ms, Input::Global(format!("to-sender {text}")));
    }
    let receiver = std::thread::spawn(move || {
        let mut got = Vec::new();
        let start = Instant::now();
        let mut buf = [0u8; 65536];
        while got.len() < 7 && start.elapsed() < Duration::from_secs(20) {
            if let Ok((n, _)) = socket.recv_from(&mut buf) {
                got.push(buf[..n].to_vec());
            }
        }
        got
    });
    let run = patch.run();
    let got = receiver.join().unwrap();
    // (logical due time in s, what python makes: the bundle's content)
    let expected = [
        (0.55, "packets.play('src', 0.5, 0.0)"),
        (0.56, "packets.stop()"),
        (0.57, "packets.message('/tempo', [120.0, 'fast'])"),
        (-1.0, "packets.message('/py', ['tick'])"),
        (0.35, "packets.play('src', 1.0, 20.0)"),
        (0.36, "packets.play('kick')"),
        (0.37, "packets.stop('kick')"),
    ];
    assert_eq!(got.len(), expected.len(), "datagrams: {got:?}\n{}", run.stderr);
    for (datagram, (due_s, python)) in got.iter().zip(expected) {
        let tag = if due_s < 0.0 { "timetag.immediately()".to_string() } else { format!("timetag.logical({due_s})") };
        let whole = python_bytes(&format!("packets.bundle({tag}, [{python}])"));
        // The content exactly; the timetag to a few 2^-32 s (Pd's logical time is a double of its own units).
        assert_eq!(&datagram[16..], &whole[16..], "{python}");
        assert_eq!(&datagram[..8], b"#bundle\0");
        if due_s < 0.0 {
            assert_eq!(&datagram[8..16], &whole[8..16], "immediately");
        } else {
            assert!((timetag_seconds(datagram) - timetag_seconds(&whole)).abs() < 1e-6, "{python}: {datagram:?}");
        }
    }
    assert!(run.stderr.lines().all(|l| !l.contains("error") && !l.contains("couldn't")), "{}", run.stderr);
    // `play` with no array or too many arguments: a usage line, nothing sent.
    let usage = run.stderr.lines().filter(|l| *l == "fsync.send: usage: play <array> [gain] [offset_ms]").count();
    assert_eq!(usage, 2, "{}", run.stderr);
}

#[test]
fn netreceive_into_fsync_plays_it_at_the_timetag() {
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut patch = with_sender(
        Patch::new(48000, "-clock logical").array("src", ramp(100)).length(500.0),
        &format!("127.0.0.1 {port} 200"),
    );
    // [netreceive -u -b port] → [s fsync-in] (reaches the harness's [fsync~ -clock logical]).
    patch.extra.push(format!("#X obj 300 600 netreceive -u -b {port};"));
    patch.extra.push("#X obj 300 630 s fsync-in;".into());
    patch.extra_connects.push((3, 0, 4, 0));
    let run = patch
        .at(10.0, Input::Global("to-sender clock logical".into()))
        .at(100.0, Input::Global("to-sender play src".into()))
        .run();
    assert!(run.exit_ok, "{}", run.stderr);
    // Sent at logical 100 ms, 200 ms ahead: due at 300 ms, sample-exact.
    let due = sample_of(300.0, 48000);
    assert_eq!(run.first_nonzero(), Some(due), "{}", run.stderr);
    assert_eq!(&run.samples[due..due + 100], &ramp(100)[..]);
    let scheduled = run.status_with("scheduled");
    assert_eq!(scheduled.len(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("sender-out: connected 1"), "{}", run.stderr);
}
