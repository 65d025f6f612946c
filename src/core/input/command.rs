//! The OSC address space of fsync~: `/play`, `/stop`, and everything else
//! forwarded to the patch.

use super::address_map::AddressMap;
use super::osc_pattern::{PatternBudget, PatternError};
use crate::core::console::{MAX_NAME_CHARS, shorten};
use rosc::{OscMessage, OscType};
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Play {
        array: String,
        gain: f32,
        offset_ms: f64,
    },
    Stop {
        array: Option<String>,
    },
    /// `/load <name> <path>`: read a sound file into the object (not timed).
    Load {
        name: String,
        path: String,
    },
    Forward {
        address: String,
        args: Vec<ForwardAtom>,
    },
}

/// What a forwarded OSC argument becomes in Pd.
#[derive(Clone, Debug, PartialEq)]
pub enum ForwardAtom {
    Float(f32),
    Symbol(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ArgsError {
    pub address: String,
    pub problem: ArgsProblem,
}

/// What is wrong with a message's arguments (each line ends with the usage).
#[derive(Clone, Debug, PartialEq)]
pub enum ArgsProblem {
    Count {
        count: usize,
        usage: &'static str,
    },
    /// Not a non-empty string where an array name goes.
    ArrayName {
        usage: &'static str,
    },
    Gain,
    Offset,
    Usage(&'static str),
    /// A float argument that is NaN, infinite or past f32 (its value).
    NotFinite(f64),
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}: ", shorten(&self.address, MAX_NAME_CHARS))?;
        match self.problem {
            ArgsProblem::Count { count, usage } => write!(f, "{count} arguments; {usage}"),
            ArgsProblem::ArrayName { usage } => write!(f, "array name must be a non-empty string; {usage}"),
            ArgsProblem::Gain => write!(f, "gain must be a number in -{MAX_GAIN}..{MAX_GAIN}; {PLAY_USAGE}"),
            ArgsProblem::Offset => write!(f, "offset_ms must be a finite number >= 0; {PLAY_USAGE}"),
            ArgsProblem::Usage(usage) => f.write_str(usage),
            ArgsProblem::NotFinite(v) => write!(f, "argument {v} is not a finite float"),
        }
    }
}

/// Why a message cannot become a command.
#[derive(Clone, Debug, PartialEq)]
pub enum CommandError {
    Args(ArgsError),
    /// Matching its address pattern against the map was refused.
    Pattern(PatternError),
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            CommandError::Args(e) => e.fmt(f),
            CommandError::Pattern(e) => e.fmt(f),
        }
    }
}

impl From<ArgsError> for CommandError {
    fn from(e: ArgsError) -> Self {
        CommandError::Args(e)
    }
}

pub const PLAY_USAGE: &str = "usage: /play <array:s> [gain:f] [offset_ms:f]";
/// Keeps a mix of voices finite whatever a packet asks for.
pub const MAX_GAIN: f64 = 1000.0;
pub const LOAD_USAGE: &str = "usage: /load <name:s> <path:s> (path relative to a -sounds folder)";
pub const STOP_USAGE: &str = "usage: /stop [array:s]";

/// `pattern_budget`: the pattern-matching work left to the packet this message came in.
pub fn interpret(
    message: OscMessage,
    map: &AddressMap,
    pattern_budget: &mut PatternBudget,
) -> Result<Command, CommandError> {
    if let Some(entry) = map.lookup(&message, pattern_budget).map_err(CommandError::Pattern)? {
        return Ok(Command::Play { array: entry.array.clone(), gain: 1.0, offset_ms: 0.0 });
    }
    Ok(interpret_unmapped(message)?)
}

/// As `interpret` without the address map (the patch's `play` message).
pub fn interpret_unmapped(message: OscMessage) -> Result<Command, ArgsError> {
    let fail = |problem: ArgsProblem| ArgsError { address: message.addr.clone(), problem };
    match message.addr.as_str() {
        "/play" => {
            let args = &message.args;
            if args.is_empty() || args.len() > 3 {
                return Err(fail(ArgsProblem::Count { count: args.len(), usage: PLAY_USAGE }));
            }
            let array = name(&args[0]).ok_or_else(|| fail(ArgsProblem::ArrayName { usage: PLAY_USAGE }))?;
            let gain = match args.get(1) {
                None => 1.0,
                Some(a) => number(a).filter(|g| g.abs() <= MAX_GAIN).ok_or_else(|| fail(ArgsProblem::Gain))?,
            };
            let offset_ms = match args.get(2) {
                None => 0.0,
                Some(a) => number(a).filter(|&o| o >= 0.0).ok_or_else(|| fail(ArgsProblem::Offset))?,
            };
            Ok(Command::Play { array, gain: gain as f32, offset_ms })
        }
        "/load" => match message.args.as_slice() {
            [a, b] => match (name(a), name(b)) {
                (Some(name), Some(path)) => Ok(Command::Load { name, path }),
                _ => Err(fail(ArgsProblem::Usage(LOAD_USAGE))),
            },
            _ => Err(fail(ArgsProblem::Count { count: message.args.len(), usage: LOAD_USAGE })),
        },
        "/stop" => match message.args.as_slice() {
            [] => Ok(Command::Stop { array: None }),
            [a] => name(a)
                .map(|array| Command::Stop { array: Some(array) })
                .ok_or_else(|| fail(ArgsProblem::ArrayName { usage: STOP_USAGE })),
            more => Err(fail(ArgsProblem::Count { count: more.len(), usage: STOP_USAGE })),
        },
        _ => {
            let mut args = Vec::with_capacity(message.args.len());
            for arg in &message.args {
                push_forward_atoms(arg, &mut args).map_err(|v| fail(ArgsProblem::NotFinite(v)))?;
            }
            args.shrink_to_fit(); // (queued events are counted by what they hold)
            Ok(Command::Forward { address: message.addr, args })
        }
    }
}

fn name(arg: &OscType) -> Option<String> {
    match arg {
        OscType::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn number(arg: &OscType) -> Option<f64> {
    let value = match *arg {
        OscType::Int(i) => i as f64,
        OscType::Long(l) => l as f64,
        OscType::Float(f) => f as f64,
        OscType::Double(d) => d,
        _ => return None,
    };
    // f32 range: gain is applied in f32.
    (value.is_finite() && value.abs() <= f32::MAX as f64).then_some(value)
}

/// Bytes a forwarded message holds while it waits in the queue, as the
/// allocator sees them: the atom array, each symbol's own allocation, the address.
pub fn forward_bytes(address: &str, args: &[ForwardAtom]) -> usize {
    let symbols: usize = args
        .iter()
        .map(|a| match a {
            ForwardAtom::Symbol(s) => allocation(s.len()),
            ForwardAtom::Float(_) => 0,
        })
        .sum();
    allocation(address.len()) + allocation(std::mem::size_of_val(args)) + symbols
}

/// What malloc takes for `n` bytes (glibc: 8 bytes of header, 16-byte steps, 32 at least).
fn allocation(n: usize) -> usize {
    if n == 0 { 0 } else { (n + 8).next_multiple_of(16).max(32) }
}

/// Flattens OSC arrays into the atom list. Iterative, with the open arrays on
/// a heap stack: nesting comes from the network (osc.rs also bounds it).
/// Refused: the first number that is not a finite f32.
fn push_forward_atoms(arg: &OscType, out: &mut Vec<ForwardAtom>) -> Result<(), f64> {
    let float = |v: f64| {
        if v.is_finite() && v.abs() <= f32::MAX as f64 { Ok(ForwardAtom::Float(v as f32)) } else { Err(v) }
    };
    let mut open: Vec<std::slice::Iter<OscType>> = vec![std::slice::from_ref(arg).iter()];
    while let Some(level) = open.last_mut() {
        let Some(arg) = level.next() else {
            open.pop();
            continue;
        };
        match arg {
            OscType::Int(i) => out.push(ForwardAtom::Float(*i as f32)),
            OscType::Long(l) => out.push(ForwardAtom::Float(*l as f32)),
            OscType::Float(f) => out.push(float(*f as f64)?),
            OscType::Double(d) => out.push(float(*d)?),
            OscType::String(s) => out.push(ForwardAtom::Symbol(s.clone())),
            OscType::Char(c) => out.push(ForwardAtom::Symbol(c.to_string())),
            OscType::Bool(b) => out.push(ForwardAtom::Float(*b as u8 as f32)),
            OscType::Nil => out.push(ForwardAtom::Symbol("nil".into())),
            OscType::Inf => out.push(ForwardAtom::Symbol("inf".into())),
            OscType::Time(t) => {
                out.push(ForwardAtom::Float((t.seconds as f64 + t.fractional as f64 / 4294967296.0) as f32))
            }
            OscType::Blob(b) => out.extend(b.iter().map(|&x| ForwardAtom::Float(x as f32))),
            OscType::Midi(m) => out.extend([m.port, m.status, m.data1, m.data2].map(|x| ForwardAtom::Float(x as f32))),
            OscType::Color(c) => out.extend([c.red, c.green, c.blue, c.alpha].map(|x| ForwardAtom::Float(x as f32))),
            OscType::Array(a) => open.push(a.content.iter()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(m: OscMessage) -> Result<Command, CommandError> {
        interpret(m, &AddressMap::default(), &mut PatternBudget::per_packet())
    }

    fn msg(addr: &str, args: Vec<OscType>) -> OscMessage {
        OscMessage { addr: addr.into(), args }
    }

    #[test]
    fn play_with_defaults_and_all_args() {
        assert_eq!(
            run(msg("/play", vec![OscType::String("kick".into())])),
            Ok(Command::Play { array: "kick".into(), gain: 1.0, offset_ms: 0.0 })
        );
        assert_eq!(
            run(msg("/play", vec![OscType::String("k".into()), OscType::Int(2), OscType::Double(10.5)])),
            Ok(Command::Play { array: "k".into(), gain: 2.0, offset_ms: 10.5 })
        );
    }

    fn problem(r: Result<Command, CommandError>) -> Option<ArgsProblem> {
        match r {
            Err(CommandError::Args(e)) => Some(e.problem),
            _ => None,
        }
    }

    #[test]
    fn bad_play_arguments() {
        let name = ArgsProblem::ArrayName { usage: PLAY_USAGE };
        for (args, expected) in [
            (vec![], ArgsProblem::Count { count: 0, usage: PLAY_USAGE }),
            (vec![OscType::Float(1.0)], name.clone()),
            (vec![OscType::String("".into())], name),
            (vec![OscType::String("k".into()), OscType::Float(f32::NAN)], ArgsProblem::Gain),
            (vec![OscType::String("k".into()), OscType::String("loud".into())], ArgsProblem::Gain),
            (vec![OscType::String("k".into()), OscType::Float(3e38)], ArgsProblem::Gain),
            (vec![OscType::String("k".into()), OscType::Float(1.0), OscType::Float(-1.0)], ArgsProblem::Offset),
            (
                vec![OscType::String("k".into()), OscType::Float(1.0), OscType::Double(f64::INFINITY)],
                ArgsProblem::Offset,
            ),
            (
                vec![OscType::String("k".into()), OscType::Float(1.0), OscType::Float(0.0), OscType::Int(1)],
                ArgsProblem::Count { count: 4, usage: PLAY_USAGE },
            ),
        ] {
            assert_eq!(problem(run(msg("/play", args.clone()))), Some(expected), "{args:?}");
        }
        let e = run(msg("/play", vec![OscType::String("k".into()), OscType::Float(1.0), OscType::Float(-1.0)]));
        assert_eq!(e.unwrap_err().to_string(), format!("/play: offset_ms must be a finite number >= 0; {PLAY_USAGE}"));
    }

    #[test]
    fn stop_forms() {
        assert_eq!(run(msg("/stop", vec![])), Ok(Command::Stop { array: None }));
        assert_eq!(run(msg("/stop", vec![OscType::String("a".into())])), Ok(Command::Stop { array: Some("a".into()) }));
        assert_eq!(
            problem(run(msg("/stop", vec![OscType::Int(1)]))),
            Some(ArgsProblem::ArrayName { usage: STOP_USAGE })
        );
    }

    #[test]
    fn other_addresses_are_forwarded() {
        assert_eq!(
            run(msg("/tempo", vec![OscType::Int(120), OscType::String("x".into()), OscType::Bool(true)])),
            Ok(Command::Forward {
                address: "/tempo".into(),
                args: vec![ForwardAtom::Float(120.0), ForwardAtom::Symbol("x".into()), ForwardAtom::Float(1.0)]
            })
        );
        assert_eq!(
            problem(run(msg("/x", vec![OscType::Float(f32::INFINITY)]))),
            Some(ArgsProblem::NotFinite(f64::INFINITY))
        );
    }

    #[test]
    fn nested_arrays_flatten_in_order_without_recursion() {
        use rosc::OscArray;
        let array = |content| OscType::Array(OscArray { content });
        let nested =
            array(vec![OscType::Int(1), array(vec![OscType::Int(2), array(vec![]), OscType::Int(3)]), OscType::Int(4)]);
        assert_eq!(
            run(msg("/x", vec![OscType::Int(0), nested, OscType::Int(5)])),
            Ok(Command::Forward {
                address: "/x".into(),
                args: (0..=5).map(|i| ForwardAtom::Float(i as f32)).collect()
            })
        );
        // Far deeper than osc.rs lets through: the heap stack copes (built and dropped level by level).
        let mut deep = OscType::Int(7);
        for _ in 0..100_000 {
            deep = array(vec![deep]);
        }
        let mut out = Vec::new();
        push_forward_atoms(&deep, &mut out).unwrap();
        assert_eq!(out, vec![ForwardAtom::Float(7.0)]);
        while let OscType::Array(mut a) = deep {
            deep = a.content.pop().unwrap_or(OscType::Nil);
        }
    }
}
