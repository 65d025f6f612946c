//! Proof that the perform path (Engine::render) never allocates nor frees: a
//! counting global allocator (alloc, realloc and dealloc) around thousands of blocks with events starting, stopping,
//! stealing voices, finishing and being late.

use fsync::core::atom::Atom;
use fsync::core::engine::Engine;
use fsync::core::load::sound_file::Sound;
use fsync::core::play::samples::VecStore;
use fsync::core::play::sound_bank::PlanarSound;
use fsync::core::settings::{ClockMode, Settings};
use fsync::core::time::clock::{Clock, ClockReading};
use fsync::core::time::timetag::NTP_UNIX_OFFSET_S;
use fsync::core::time::units::{LogicalMs, WallSeconds};
use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType, encoder};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

struct Counting;
static COUNTING: AtomicBool = AtomicBool::new(false);
thread_local! {
    /// Only the thread that renders is counted: libtest's main thread may
    /// allocate while it waits for the test (seen: 4 allocations, 1 run in 4).
    static RENDERING_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Counting, on the rendering thread.
fn counted() -> bool {
    COUNTING.load(Ordering::Relaxed) && RENDERING_THREAD.with(|r| r.get())
}
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
/// Freeing is no better than allocating in the perform routine (it locks, and
/// returning a big buffer to the system takes milliseconds).
static FREES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counted() {
            FREES.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counted() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn bundle(seconds: f64, content: Vec<OscPacket>) -> Vec<u8> {
    let whole = seconds.floor();
    let timetag = OscTime { seconds: whole as u32, fractional: ((seconds - whole) * 4294967296.0) as u32 };
    encoder::encode(&OscPacket::Bundle(OscBundle { timetag, content })).unwrap()
}

fn message(addr: &str, args: Vec<OscType>) -> OscPacket {
    OscPacket::Message(OscMessage { addr: addr.into(), args })
}

#[test]
fn render_never_allocates() {
    let sr = 48000.0;
    // Wall-clock timetags: the clock's refits and steps re-map the queue inside render.
    // The card runs 300 ppm fast and the clock has settled for 3 s before the
    // events: voices follow its drift (-drift follow, the default), resampled.
    let settings = Settings { clock: ClockMode::System, voices: 4, channels: 2, ..Settings::default() };
    assert_eq!(settings.drift, fsync::core::drift::DriftMode::Follow);
    const WALL0: f64 = 1.7e9;
    const CARD: f64 = 1.0 / 1.0003; // mono seconds per logical second
    let mut clock = Clock::default();
    let warm_blocks = 2250; // 3 s
    for block in 0..warm_blocks {
        let end_ms = ((block + 1) * 64) as f64 * 1000.0 / sr;
        let mono_s = end_ms / 1000.0 * CARD + (block % 5) as f64 * 0.0007;
        clock.observe(LogicalMs(end_ms), ClockReading { mono_s, wall_s: WallSeconds(WALL0 + mono_s) });
    }
    assert!(clock.filter().is_settled());
    let mut engine: Engine<&'static str> = Engine::new(settings, sr, 0.0);
    // Two outlets: "a" is a set of two arrays, "b" a loaded stereo sound, "m" a mono array.
    let mut store = VecStore::with_arrays(vec![("l", vec![0.5; 3000]), ("r", vec![0.5; 2000]), ("m", vec![0.25; 700])]);
    store.sets.define("a", vec!["l", "r"]).unwrap();
    let stereo = Sound { channels: 2, data: vec![0.1; 1400] };
    store.bank.insert("b", PlanarSound::from_interleaved(&stereo).unwrap(), usize::MAX).unwrap();
    let mut intern = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    // 200 events over 2 s: plays of both arrays (more than 4 voices at once),
    // stops, a missing array, and events already late when rendered.
    for i in 0..200 {
        let t = i as f64 * 0.01;
        let array = ["nothing", "a", "b", "m"][if i % 7 == 0 { 0 } else { 1 + i % 3 }];
        let content = if i % 11 == 0 {
            vec![message("/stop", vec![OscType::String("a".into())])]
        } else {
            vec![message("/play", vec![OscType::String(array.into()), OscType::Float(0.5)])]
        };
        let atoms: Vec<Atom> =
            bundle(NTP_UNIX_OFFSET_S + WALL0 + 3.0 + t, content).iter().map(|&b| Atom::Float(b as f32)).collect();
        engine.handle_packet(&atoms, LogicalMs(3000.0), WallSeconds(WALL0 + 3.0), &clock, &mut intern);
    }
    let (mut left, mut right) = (vec![0.0f32; 64], vec![0.0f32; 64]);
    let (mut nonzero_blocks, mut paced_blocks) = (0, 0);
    // Start rendering 100 ms after the first event is due, so the first events are late at perform time.
    let first_block = warm_blocks + 75;
    RENDERING_THREAD.with(|r| r.set(true));
    COUNTING.store(true, Ordering::SeqCst);
    for block in first_block..first_block + 3000 {
        let end_ms = ((block + 1) * 64) as f64 * 1000.0 / sr;
        // Readings late by up to 3 ms, and a 20 ms step after 2.3 s (once the estimate settled): refits and a
        // step re-map the queue inside render.
        let late_s = (block % 5) as f64 * 0.0007 + if block > first_block + 1700 { 0.02 } else { 0.0 };
        let mono_s = end_ms / 1000.0 * CARD + late_s;
        clock.observe(LogicalMs(end_ms), ClockReading { mono_s, wall_s: WallSeconds(WALL0 + mono_s) });
        engine.render(LogicalMs(end_ms), &clock, &store, &mut [&mut left[..], &mut right[..]]);
        if left.iter().chain(&right).any(|&x| x != 0.0) {
            nonzero_blocks += 1;
            if engine.voice_pace_ppm() < -250.0 {
                paced_blocks += 1;
            }
        }
    }
    COUNTING.store(false, Ordering::SeqCst);
    let (reports, lost) = engine.take_reports();
    assert!(nonzero_blocks > 100, "the test must actually render sound ({nonzero_blocks} blocks)");
    assert!(paced_blocks > 100, "through drift-following voices ({paced_blocks} blocks at the card's pace)");
    assert!(reports.len() + lost > 100, "and produce reports from the perform path");
    assert!(clock.filter().steps().0 >= 1, "and the clock must have stepped while events were queued");
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0, "allocations in the perform path");
    assert_eq!(FREES.load(Ordering::SeqCst), 0, "frees in the perform path");
}
