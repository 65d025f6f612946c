//! Input: from bytes to commands. A packet's byte list becomes bytes
//! (`packet`), OSC messages with their timetags (`osc`), commands for the
//! engine (`command`, through the address map and its patterns), filtered
//! for duplicates (`dedupe`) and for the names Pd would have to intern
//! (`name_budget`). Everything here reads untrusted network input.

pub mod address_map;
pub mod command;
pub mod dedupe;
pub mod name_budget;
pub mod osc;
pub mod osc_pattern;
pub mod packet;
pub mod refusal;
