//! OSC timetags (NTP 32.32 fixed point) and their two readings: Pd logical time
//! (`-clock logical`) and wall-clock unix time (`-clock system`).

/// Seconds from the NTP epoch (1900) to the unix epoch (1970).
pub const NTP_UNIX_OFFSET_S: f64 = 2_208_988_800.0;
const FRACTION_PER_SECOND: f64 = 4_294_967_296.0; // 2^32
const ERA_SECONDS: f64 = 4_294_967_296.0; // one NTP era: 2^32 s, rolls over in 2036

/// When an OSC message is to happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Timetag 1 (or a bare message): the moment the packet arrives.
    Immediately,
    At(Timetag),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timetag {
    pub seconds: u32,
    pub fraction: u32,
}

impl When {
    pub fn from_rosc(t: rosc::OscTime) -> When {
        // OSC 1.0: 63 zero bits followed by a one means "immediately".
        if t.seconds == 0 && t.fractional == 1 {
            When::Immediately
        } else {
            When::At(Timetag { seconds: t.seconds, fraction: t.fractional })
        }
    }
}

impl Timetag {
    /// The timetag read as plain seconds (what `-clock logical` uses).
    pub fn as_seconds(self) -> f64 {
        self.seconds as f64 + self.fraction as f64 / FRACTION_PER_SECOND
    }

    /// Inverse of `as_seconds` for 0 <= s < 2^32, rounded to the nearest fraction step.
    pub fn from_seconds(s: f64) -> Option<Timetag> {
        if !(0.0..ERA_SECONDS).contains(&s) {
            return None;
        }
        let whole = s.floor();
        let mut seconds = whole as u64;
        let mut fraction = ((s - whole) * FRACTION_PER_SECOND).round() as u64;
        if fraction >= 1 << 32 {
            fraction -= 1 << 32;
            seconds += 1;
        }
        (seconds < 1 << 32).then_some(Timetag { seconds: seconds as u32, fraction: fraction as u32 })
    }

    /// Unix seconds of this timetag, choosing the NTP era that puts it nearest to
    /// `reference_unix_s` (so timetags keep working across the 2036 roll-over).
    pub fn to_unix_near(self, reference_unix_s: f64) -> f64 {
        let in_era = self.as_seconds() - NTP_UNIX_OFFSET_S;
        let eras = ((reference_unix_s - in_era) / ERA_SECONDS).round();
        in_era + eras * ERA_SECONDS
    }

    /// The timetag of a unix time (the era is dropped, as NTP does).
    pub fn from_unix(unix_s: f64) -> Option<Timetag> {
        if !unix_s.is_finite() {
            return None;
        }
        Timetag::from_seconds((unix_s + NTP_UNIX_OFFSET_S).rem_euclid(ERA_SECONDS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn immediately_is_timetag_one() {
        assert_eq!(When::from_rosc(rosc::OscTime { seconds: 0, fractional: 1 }), When::Immediately);
        assert!(matches!(When::from_rosc(rosc::OscTime { seconds: 0, fractional: 2 }), When::At(_)));
    }

    #[test]
    fn hundred_point_four_ms() {
        let t = Timetag::from_seconds(0.1004).unwrap();
        assert!((t.as_seconds() - 0.1004).abs() < 1e-9);
        assert_eq!((t.as_seconds() * 48000.0).round(), 4819.0);
    }

    #[test]
    fn era_rollover_2036() {
        // 2036-02-07T06:28:16Z is unix 2085978496: NTP seconds wrap to 0 there.
        let rollover = 2_085_978_496.0;
        let before = Timetag::from_unix(rollover - 0.25).unwrap();
        let after = Timetag::from_unix(rollover + 0.25).unwrap();
        assert_eq!(after.seconds, 0);
        assert!((before.to_unix_near(rollover) - (rollover - 0.25)).abs() < 1e-6);
        assert!((after.to_unix_near(rollover) - (rollover + 0.25)).abs() < 1e-6);
    }

    proptest! {
        #[test]
        fn seconds_round_trip(s in 0.0f64..4.0e9) {
            let t = Timetag::from_seconds(s).unwrap();
            prop_assert!((t.as_seconds() - s).abs() <= 1e-6);
        }

        // Exact while seconds + fraction fit f64's 53-bit mantissa (≈ 12 days).
        #[test]
        fn fraction_is_exact(seconds in 0u32..(1 << 20), fraction: u32) {
            let t = Timetag { seconds, fraction };
            prop_assert_eq!(Timetag::from_seconds(t.as_seconds()).unwrap(), t);
        }

        #[test]
        fn unix_round_trip_any_era(unix in 0.0f64..6.0e9, offset in -1.0e5f64..1.0e5) {
            let t = Timetag::from_unix(unix).unwrap();
            let back = t.to_unix_near(unix + offset);
            prop_assert!((back - unix).abs() < 1e-5, "{} vs {}", back, unix);
        }

        #[test]
        fn monotone_within_era(a in 0.0f64..4.29e9, d in 0.0f64..1000.0) {
            let (ta, tb) = (Timetag::from_seconds(a).unwrap(), Timetag::from_seconds((a + d).min(4.294e9)).unwrap());
            prop_assert!(ta <= tb);
        }
    }
}
