//! Control messages on the left inlet (everything but packets), parsed and
//! applied without Pd so they can be tested.

use super::atom::Atom;
pub use super::control_error::{ControlError, ControlNote};
use super::drift::{self, DriftMode};
use super::engine::Engine;
use super::input::address_map::{self, MapEntry, MatchArg};
use super::input::command::ForwardAtom;
use super::settings::{self, ClockMode, LatePolicy, MAX_QUEUE, MAX_SOUND_MEMORY_MIB, MAX_VOICES};

#[derive(Clone, Debug, PartialEq)]
pub enum Control {
    SetClock(ClockMode),
    /// `clock` alone: report the clock estimate.
    QueryClock,
    Late(LatePolicy),
    /// `drift follow|off|<ppm>`: the pace of voices under `-clock system`.
    Drift(DriftMode),
    /// `drift` alone: print the pace applied.
    QueryDrift,
    Gain(f32),
    Latency(f64),
    Dedupe(f64),
    Horizon(f64),
    Queue(usize),
    ForwardBytes(usize),
    Voices(usize),
    Map(MapEntry),
    /// `map` alone: list the table.
    ListMap,
    Unmap {
        address: Option<String>,
        first_arg: Option<MatchArg>,
    },
    /// `bundle <offset_ms> <address> [args…]`: make a packet stamped with the
    /// wall-clock time of now + offset (Pd as a timetag sender).
    /// `bundle immediately <address> …`: timetag 1 (the workshop's `timetagoffset -1`).
    Bundle {
        offset_ms: Option<f64>,
        address: String,
        args: Vec<ForwardAtom>,
    },
    /// `utc`: output `utc <year> <month> <day> <hour> <minute> <second> <ms>`, the
    /// wall-clock time at this logical time from the filtered clock.
    Utc,
    /// `load <name> <path>`: the patch reads a sound file (trusted: any path).
    Load {
        name: String,
        path: String,
    },
    /// `sounds <folder>`: allow `/load` from this folder.
    Sounds(String),
    /// `sound-memory <MiB>`: most memory the object's loaded sounds may take.
    SoundMemory(usize),
    /// `arrays <name> [<array>…]`: `/play <name>` plays these arrays across
    /// the outlets, one per outlet (no arrays: forget the set).
    Arrays {
        name: String,
        members: Vec<String>,
    },
    /// `play <array> [gain] [offset_ms]`: start now (the engine checks the
    /// arguments as a bare `/play`'s: `error args` on the outlet when bad).
    Play(Vec<ForwardAtom>),
    /// `at <ms> <address> [args…]`: the OSC message due `ms` from now (logical time).
    At(Vec<ForwardAtom>),
    Stop,
    Print,
}

pub const CONTROL_HELP: &str = "messages: list of bytes (an OSC packet), play <array> [gain] [offset_ms], at <ms> <address> [args], clock [logical|system], drift [follow|off|<ppm>], late join-or-play|join|play|drop, load <name> <path>, sounds <folder>, sound-memory <MiB>, arrays <name> <array>..., bundle <offset_ms>|immediately <address> [args], utc, map <address> [<first-arg>] <array>, unmap [<address> [<first-arg>]], gain <g>, latency <ms>, dedupe <ms>, horizon <s>, queue <n>, forwardbytes <n>, voices <n>, stop, print";

pub fn parse_control(selector: &str, args: &[Atom]) -> Result<Control, ControlError> {
    let word = || match args {
        [Atom::Symbol(w)] => Ok(*w),
        _ => Err(ControlError::NeedsWord(selector.to_string())),
    };
    let number = || match args {
        [Atom::Float(f)] => Ok(*f as f64),
        _ => Err(ControlError::NeedsNumber(selector.to_string())),
    };
    let nothing =
        |c: Control| if args.is_empty() { Ok(c) } else { Err(ControlError::TakesNoArguments(selector.to_string())) };
    match selector {
        "clock" if args.is_empty() => Ok(Control::QueryClock),
        "clock" => word().and_then(|w| Ok(settings::parse_clock(w)?)).map(Control::SetClock),
        "late" => word().and_then(|w| Ok(settings::parse_late(w)?)).map(Control::Late),
        "drift" => match args {
            [] => Ok(Control::QueryDrift),
            [Atom::Symbol(w)] => Ok(Control::Drift(drift::parse_drift(w)?)),
            [Atom::Float(ppm)] => Ok(Control::Drift(drift::check_ppm(*ppm as f64)?)),
            _ => Err(ControlError::Usage("usage: drift [follow|off|<ppm>]")),
        },
        "gain" => number().and_then(|g| Ok(settings::check_gain(g)?)).map(Control::Gain),
        "latency" => number().and_then(|ms| Ok(settings::check_ms("latency", ms)?)).map(Control::Latency),
        "dedupe" => number().and_then(|ms| Ok(settings::check_ms("dedupe", ms)?)).map(Control::Dedupe),
        "horizon" => number().and_then(|s| Ok(settings::check_horizon(s)?)).map(Control::Horizon),
        "queue" => number().and_then(|n| Ok(settings::check_count("queue", n, MAX_QUEUE)?)).map(Control::Queue),
        "forwardbytes" => number().and_then(|n| Ok(settings::check_forward_bytes(n)?)).map(Control::ForwardBytes),
        "voices" => number().and_then(|n| Ok(settings::check_count("voices", n, MAX_VOICES)?)).map(Control::Voices),
        "map" if args.is_empty() => Ok(Control::ListMap),
        "map" => Ok(Control::Map(address_map::parse_entry(args)?)),
        "unmap" => match args {
            [] => Ok(Control::Unmap { address: None, first_arg: None }),
            [Atom::Symbol(a)] => Ok(Control::Unmap { address: Some(a.to_string()), first_arg: None }),
            [Atom::Symbol(a), Atom::Symbol(f)] => {
                Ok(Control::Unmap { address: Some(a.to_string()), first_arg: Some(MatchArg::Symbol(f.to_string())) })
            }
            [Atom::Symbol(a), Atom::Float(f)] => {
                Ok(Control::Unmap { address: Some(a.to_string()), first_arg: Some(MatchArg::Float(*f)) })
            }
            _ => Err(ControlError::Usage("usage: unmap [<address> [<first-arg>]]")),
        },
        "bundle" => match args {
            [when @ (Atom::Float(_) | Atom::Symbol("immediately")), Atom::Symbol(address), rest @ ..]
                if address.starts_with('/') && !matches!(when, Atom::Float(f) if !f.is_finite()) =>
            {
                Ok(Control::Bundle {
                    offset_ms: match when {
                        Atom::Float(f) => Some(*f as f64),
                        _ => None,
                    },
                    address: address.to_string(),
                    args: rest
                        .iter()
                        .map(|a| match a {
                            Atom::Float(f) => Ok(ForwardAtom::Float(*f)),
                            Atom::Symbol(s) => Ok(ForwardAtom::Symbol(s.to_string())),
                            Atom::Other => {
                                Err(ControlError::BadArgument("bundle: arguments must be numbers or symbols"))
                            }
                        })
                        .collect::<Result<_, _>>()?,
                })
            }
            _ => Err(ControlError::Usage("usage: bundle <offset_ms>|immediately </address> [args...]")),
        },
        "load" => match args {
            [Atom::Symbol(name), Atom::Symbol(path)] => {
                Ok(Control::Load { name: name.to_string(), path: path.to_string() })
            }
            _ => Err(ControlError::Usage("usage: load <name> <path>")),
        },
        "sounds" => word().map(|d| Control::Sounds(d.to_string())),
        "sound-memory" => number()
            .and_then(|n| Ok(settings::check_count("sound-memory (MiB)", n, MAX_SOUND_MEMORY_MIB)?))
            .map(Control::SoundMemory),
        "arrays" => match args {
            [Atom::Symbol(name), members @ ..] => members
                .iter()
                .map(|a| match a {
                    Atom::Symbol(m) => Ok(m.to_string()),
                    _ => Err(ControlError::BadArgument("arrays: array names must be words")),
                })
                .collect::<Result<_, _>>()
                .map(|members| Control::Arrays { name: name.to_string(), members }),
            _ => Err(ControlError::Usage("usage: arrays <name> <array1> <array2> ... (no arrays: forget <name>)")),
        },
        // (Checked by the engine, which answers bad arguments on the outlet too.)
        "play" => atoms(selector, args).map(Control::Play),
        "at" => atoms(selector, args).map(Control::At),
        "stop" => nothing(Control::Stop),
        "print" => nothing(Control::Print),
        "utc" => nothing(Control::Utc),
        other => Err(ControlError::Unknown { selector: other.to_string(), help: CONTROL_HELP }),
    }
}

/// The patch's atoms as OSC arguments would arrive (a pointer has no OSC form).
fn atoms(selector: &str, args: &[Atom]) -> Result<Vec<ForwardAtom>, ControlError> {
    args.iter()
        .map(|a| match a {
            Atom::Float(f) => Ok(ForwardAtom::Float(*f)),
            Atom::Symbol(s) => Ok(ForwardAtom::Symbol(s.to_string())),
            Atom::Other => Err(ControlError::NotOscArgument(selector.to_string())),
        })
        .collect()
}

/// Applies a setting; the queries (`clock`, `print`) and `stop` are left to the caller.
/// Returns a note for the console when something was lost (shrinking the queue) or refused.
pub fn apply<K: Copy + PartialEq>(engine: &mut Engine<K>, control: &Control) -> Option<ControlNote> {
    match *control {
        Control::SetClock(mode) => engine.set_clock_mode(mode),
        Control::Late(policy) => engine.set_late_policy(policy),
        Control::Drift(mode) => engine.set_drift_mode(mode),
        Control::Gain(g) => engine.set_gain(g),
        Control::Latency(ms) => engine.set_latency(ms),
        Control::Dedupe(ms) => engine.set_dedupe_ms(ms),
        Control::Horizon(s) => engine.set_horizon_s(s),
        Control::Queue(n) => {
            let lost = engine.set_queue_capacity(n);
            if lost > 0 {
                return Some(ControlNote::QueueShrunk { capacity: n, lost });
            }
        }
        Control::ForwardBytes(n) => {
            let lost = engine.set_forward_bytes(n);
            if lost > 0 {
                return Some(ControlNote::ForwardBytesShrunk { max_bytes: n, lost });
            }
        }
        Control::Voices(n) => engine.set_voice_count(n),
        Control::Map(ref entry) => {
            if let Err(e) = engine.add_map_entry(entry.clone()) {
                return Some(ControlNote::Map(e));
            }
        }
        Control::Unmap { ref address, ref first_arg } => {
            if engine.remove_map_entries(address.as_deref(), first_arg.as_ref()) == 0 {
                return Some(ControlNote::NoSuchEntry);
            }
        }
        Control::Stop => engine.stop_all(),
        Control::Sounds(ref dir) => engine.allow_sound_dir(dir.clone()),
        // (Sounds already loaded stay; the next load must fit.)
        Control::SoundMemory(mib) => engine.set_sound_memory_mib(mib),
        Control::QueryClock
        | Control::QueryDrift
        | Control::Utc
        | Control::Print
        | Control::ListMap
        | Control::Bundle { .. }
        | Control::Play(_)
        | Control::At(_)
        | Control::Load { .. }
        | Control::Arrays { .. } => {}
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::drift::DriftError;
    use crate::core::settings::SettingError;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(parse_control("late", &[Atom::Symbol("drop")]), Ok(Control::Late(LatePolicy::Drop)));
        assert_eq!(parse_control("clock", &[]), Ok(Control::QueryClock));
        assert_eq!(parse_control("gain", &[Atom::Float(0.5)]), Ok(Control::Gain(0.5)));
        assert_eq!(parse_control("gain", &[Atom::Symbol("loud")]), Err(ControlError::NeedsNumber("gain".into())));
        assert_eq!(
            parse_control("late", &[Atom::Symbol("never")]),
            Err(ControlError::Setting(SettingError::Late("never".into())))
        );
        assert_eq!(parse_control("drift", &[Atom::Symbol("off")]), Ok(Control::Drift(DriftMode::Off)));
        assert_eq!(parse_control("drift", &[Atom::Float(150.0)]), Ok(Control::Drift(DriftMode::Fixed(150.0))));
        assert_eq!(parse_control("drift", &[]), Ok(Control::QueryDrift));
        assert_eq!(parse_control("drift", &[Atom::Float(1500.0)]), Err(ControlError::Drift(DriftError::Ppm(1500.0))));
        assert_eq!(
            parse_control("drift", &[Atom::Symbol("fast")]),
            Err(ControlError::Drift(DriftError::Word("fast".into())))
        );
        assert_eq!(parse_control("stop", &[Atom::Float(1.0)]), Err(ControlError::TakesNoArguments("stop".into())));
        assert_eq!(
            parse_control("bogus", &[]),
            Err(ControlError::Unknown { selector: "bogus".into(), help: CONTROL_HELP })
        );
        assert!(
            parse_control("bogus", &[]).unwrap_err().to_string().starts_with("unknown message 'bogus'; messages: ")
        );
        let set = parse_control("arrays", &[Atom::Symbol("drums"), Atom::Symbol("l"), Atom::Symbol("r")]);
        assert_eq!(set, Ok(Control::Arrays { name: "drums".into(), members: vec!["l".into(), "r".into()] }));
        assert_eq!(
            parse_control("arrays", &[Atom::Symbol("drums")]),
            Ok(Control::Arrays { name: "drums".into(), members: vec![] })
        );
        assert!(parse_control("arrays", &[Atom::Symbol("drums"), Atom::Float(1.0)]).is_err());
        assert!(parse_control("arrays", &[]).is_err());
        assert_eq!(parse_control("late", &[Atom::Symbol("join-or-play")]), Ok(Control::Late(LatePolicy::JoinOrPlay)));
        assert_eq!(parse_control("utc", &[]), Ok(Control::Utc));
        assert!(parse_control("utc", &[Atom::Float(1.0)]).is_err());
        let now = parse_control("bundle", &[Atom::Symbol("immediately"), Atom::Symbol("/py"), Atom::Symbol("tick")]);
        assert_eq!(
            now,
            Ok(Control::Bundle {
                offset_ms: None,
                address: "/py".into(),
                args: vec![ForwardAtom::Symbol("tick".into())]
            })
        );
        assert!(
            matches!(parse_control("bundle", &[Atom::Float(200.0), Atom::Symbol("/py")]), Ok(Control::Bundle { offset_ms: Some(o), .. }) if o == 200.0)
        );
        assert!(parse_control("bundle", &[Atom::Symbol("soon"), Atom::Symbol("/py")]).is_err());
        // play and at: the engine checks their arguments (to answer `error args` on the outlet).
        assert_eq!(
            parse_control("play", &[Atom::Symbol("kick"), Atom::Float(0.8)]),
            Ok(Control::Play(vec![ForwardAtom::Symbol("kick".into()), ForwardAtom::Float(0.8)]))
        );
        assert_eq!(
            parse_control("at", &[Atom::Float(500.0), Atom::Symbol("/play")]),
            Ok(Control::At(vec![ForwardAtom::Float(500.0), ForwardAtom::Symbol("/play".into())]))
        );
        assert!(parse_control("play", &[Atom::Other]).is_err());
    }
}
