//! `/fsync/ping` and `/fsync/offset` against a real-time Pd over loopback: the
//! plain `[netreceive -u -b PORT] → [fsync~]` answers over its own socket, under
//! the rules of docs/peers.md (flags, correction, rate limit, reserved addresses).

mod harness;

use rosc::{OscMessage, OscPacket, OscType};
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wall_s() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}

fn message(addr: &str, args: Vec<OscType>) -> Vec<u8> {
    rosc::encoder::encode(&OscPacket::Message(OscMessage { addr: addr.into(), args })).unwrap()
}

fn ping(id: i32, reply_port: u16, host: Option<&str>) -> Vec<u8> {
    let mut args = vec![OscType::Int(id), OscType::Int(reply_port as i32)];
    args.extend(host.map(|h| OscType::String(h.into())));
    message("/fsync/ping", args)
}

/// Every OSC message arriving at `socket` within `wait`.
fn receive_all(socket: &UdpSocket, wait: Duration) -> Vec<(OscMessage, f64)> {
    let mut out = Vec::new();
    let end = Instant::now() + wait;
    let mut buf = [0u8; 2048];
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        socket.set_read_timeout(Some(left.max(Duration::from_millis(1)))).unwrap();
        match socket.recv(&mut buf) {
            Ok(n) => {
                let at = wall_s();
                if let Ok((_, OscPacket::Message(m))) = rosc::decoder::decode_udp(&buf[..n]) {
                    out.push((m, at));
                }
            }
            Err(_) => break,
        }
    }
    out
}

fn double(a: &OscType) -> f64 {
    match a {
        OscType::Double(d) => *d,
        other => panic!("expected a double, got {other:?}"),
    }
}

fn int(a: &OscType) -> i32 {
    match a {
        OscType::Int(i) => *i,
        other => panic!("expected an int, got {other:?}"),
    }
}

#[test]
fn pings_corrections_and_their_rules() {
    let dir = harness::scratch_dir();
    harness::install_external(&dir);
    let (pa, pb, pc) = (free_udp_port(), free_udp_port(), free_udp_port());
    // A: defaults; B: corrected −5 ms, refuses corrections from the network; C: no answers.
    let patch = format!(
        "#N canvas 0 0 600 400 12;\n\
         #X obj 10 10 netreceive -u -b {pa};\n\
         #X obj 10 50 fsync~;\n\
         #X obj 10 90 print statusA;\n\
         #X obj 200 10 netreceive -u -b {pb};\n\
         #X obj 200 50 fsync~ -offset -5 -remote-offset off;\n\
         #X obj 200 90 print statusB;\n\
         #X obj 400 10 netreceive -u -b {pc};\n\
         #X obj 400 50 fsync~ -ping off;\n\
         #X obj 300 150 loadbang;\n\
         #X msg 300 180 \\; pd dsp 1;\n\
         #X obj 300 210 delay 9000;\n\
         #X msg 300 240 \\; pd quit;\n\
         #X connect 0 0 1 0;\n#X connect 1 1 2 0;\n#X connect 3 0 4 0;\n#X connect 4 1 5 0;\n\
         #X connect 6 0 7 0;\n#X connect 8 0 9 0;\n#X connect 8 0 10 0;\n#X connect 10 0 11 0;\n"
    );
    let path = dir.join("peers.pd");
    std::fs::write(&path, patch).unwrap();
    let mut pd = Command::new("pd")
        .args(["-nosound", "-nogui", "-stderr", "-noprefs", "-r", "48000", "-path"])
        .arg(&dir)
        .arg("-open")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pd must be installed");
    std::thread::sleep(Duration::from_millis(800)); // Pd starts, binds, DSP runs a while

    let me = UdpSocket::bind("127.0.0.1:0").unwrap();
    let my_port = me.local_addr().unwrap().port();
    let send = |bytes: &[u8], port: u16| {
        me.send_to(bytes, ("127.0.0.1", port)).unwrap();
    };

    // A answers, with times that bracket the exchange.
    let mut pongs = Vec::new();
    for id in 1..=5 {
        let t1 = wall_s();
        send(&ping(id, my_port, None), pa);
        let got = receive_all(&me, Duration::from_millis(300));
        assert_eq!(got.len(), 1, "one answer to ping {id}: {got:?}");
        pongs.push((t1, got.into_iter().next().unwrap()));
    }
    for (t1, (m, t4)) in &pongs {
        assert_eq!(m.addr, "/fsync/pong");
        assert_eq!(m.args.len(), 9, "{m:?}");
        let (t2, t3) = (double(&m.args[1]), double(&m.args[2]));
        assert!(t1 - 0.002 <= t2 && t2 <= t3 && t3 <= t4 + 0.002, "t1 {t1} t2 {t2} t3 {t3} t4 {t4}");
        assert_eq!(double(&m.args[6]), 0.0, "no correction");
        assert_eq!(int(&m.args[7]), 1, "DSP runs: the site has a clock estimate");
    }
    assert!(pongs.iter().any(|(_, (m, _))| int(&m.args[8]) == 1), "receipt from the kernel's stamp at least once");

    // B reports its correction, and its times are in the corrected clock (the
    // ping with the shortest round trip of five: this machine may be busy).
    let mut best: Option<(f64, f64)> = None;
    for id in 20..25 {
        let t1 = wall_s();
        send(&ping(id, my_port, Some("127.0.0.1")), pb);
        let got = receive_all(&me, Duration::from_millis(200));
        assert_eq!(got.len(), 1, "{got:?}");
        let (m, t4) = &got[0];
        assert_eq!(double(&m.args[6]), -5.0);
        let (t2, t3) = (double(&m.args[1]), double(&m.args[2]));
        let rtt = (t4 - t1) - (t3 - t2);
        let offset_ms = ((t2 - t1) + (t3 - t4)) / 2.0 * 1000.0;
        if best.is_none_or(|(r, _)| rtt < r) {
            best = Some((rtt, offset_ms));
        }
    }
    let (rtt, offset_ms) = best.unwrap();
    assert!(
        (offset_ms + 5.0).abs() < 1.0 + rtt * 500.0,
        "offset {offset_ms} ms (round trip {} ms), expected -5",
        rtt * 1000.0
    );

    // C is silent.
    send(&ping(10, my_port, None), pc);
    assert!(receive_all(&me, Duration::from_millis(300)).is_empty());

    // A takes a correction from the network and says so; B refuses one.
    send(&message("/fsync/offset", vec![OscType::Double(2.5), OscType::Int(11), OscType::Int(my_port as i32)]), pa);
    let got = receive_all(&me, Duration::from_millis(300));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].0.addr.as_str(), int(&got[0].0.args[0]), double(&got[0].0.args[1]), int(&got[0].0.args[2])),
        ("/fsync/offset/set", 11, 2.5, 1)
    );
    send(&ping(12, my_port, None), pa);
    let got = receive_all(&me, Duration::from_millis(300));
    assert_eq!(double(&got[0].0.args[6]), 2.5);
    send(&message("/fsync/offset", vec![OscType::Float(3.0), OscType::Int(13), OscType::Int(my_port as i32)]), pb);
    let got = receive_all(&me, Duration::from_millis(300));
    assert_eq!((double(&got[0].0.args[1]), int(&got[0].0.args[2])), (-5.0, 0), "refused: -remote-offset off");
    // Out of bounds: refused, nothing changes.
    send(&message("/fsync/offset", vec![OscType::Double(5000.0), OscType::Int(14), OscType::Int(my_port as i32)]), pa);
    assert!(receive_all(&me, Duration::from_millis(300)).is_empty());

    // An answer address that is not loopback, attached or allowed: no answer, a console line.
    send(&ping(15, my_port, Some("203.0.113.1")), pa);
    // A reserved address fsync~ does not know: refused, not forwarded; nor one in a bundle.
    send(&message("/fsync/other", vec![]), pa);
    let bundled = rosc::encoder::encode(&OscPacket::Bundle(rosc::OscBundle {
        timetag: rosc::OscTime { seconds: 0, fractional: 1 },
        content: vec![OscPacket::Message(OscMessage {
            addr: "/fsync/ping".into(),
            args: vec![OscType::Int(16), OscType::Int(my_port as i32)],
        })],
    }))
    .unwrap();
    send(&bundled, pa);
    assert!(receive_all(&me, Duration::from_millis(300)).is_empty(), "a bundled ping is not answered");
    std::thread::sleep(Duration::from_millis(1100)); // the token bucket refills

    // A flood: at most 20 answers a second.
    for id in 100..300 {
        send(&ping(id, my_port, None), pa);
    }
    let answered = receive_all(&me, Duration::from_millis(500)).len();
    assert!((18..=25).contains(&answered), "{answered} answers to 200 pings in a burst");

    let _ = pd.kill();
    let _ = pd.wait();
    let mut err = String::new();
    std::io::Read::read_to_string(pd.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(err.contains("statusA: offset 2.5"), "status outlet reports the correction:\n{err}");
    assert!(err.contains("is not loopback"), "refusal explained:\n{err}");
    assert!(!err.contains("statusA: /fsync"), "reserved messages are never forwarded:\n{err}");
    assert!(
        err.contains("only come as bare messages") && err.contains("statusA: error reserved"),
        "a bundled reserved address is refused:\n{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `offset` message and bad values from the patch.
#[test]
fn offset_message_from_the_patch() {
    let dir = harness::scratch_dir();
    harness::install_external(&dir);
    let patch = "#N canvas 0 0 600 400 12;\n\
         #X obj 10 50 fsync~ -offset 3000 -allow example.org -ping maybe;\n\
         #X obj 10 90 print status;\n\
         #X msg 10 10 offset 1.5 \\, offset 1e6 \\, allow 10.0.0.0/33 \\, ping off \\, offset;\n\
         #X obj 300 10 loadbang;\n\
         #X msg 300 40 \\; pd quit;\n\
         #X connect 0 1 1 0;\n#X connect 2 0 0 0;\n#X connect 3 0 2 0;\n#X connect 3 0 4 0;\n";
    let path = dir.join("offset.pd");
    std::fs::write(&path, patch).unwrap();
    let out = harness::run_pd(&dir, &path, 48000, Duration::from_secs(20));
    let text = out.stderr;
    assert!(text.contains("status: offset 1.5"), "{text}");
    for e in [
        "-offset: offset must be",
        "-allow: 'example.org'",
        "-ping: ping must be 'on' or 'off'",
        "offset must be a number of ms",
        "prefix must be 0..32",
        "'offset' needs one number",
    ] {
        assert!(text.contains(e), "missing '{e}' in:\n{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
