//! Unix seconds → civil UTC fields (proleptic Gregorian calendar, no leap
//! seconds, as unix time itself), for the `utc` message. Pure arithmetic.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilUtc {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millisecond: u32,
}

const SECONDS_PER_DAY: i64 = 86_400;
/// Days in a 400-year Gregorian cycle.
const DAYS_PER_ERA: i64 = 146_097;
/// Days from 0000-03-01 to 1970-01-01.
const UNIX_EPOCH_FROM_MARCH_0000: i64 = 719_468;

/// The civil UTC time of `unix_s` (rounded down to the millisecond), or None if
/// it is not finite or outside ±10^12 s (±31 000 years).
pub fn civil_utc(unix_s: f64) -> Option<CivilUtc> {
    if !unix_s.is_finite() || unix_s.abs() > 1e12 {
        return None;
    }
    let total_ms = (unix_s * 1000.0).floor() as i64;
    let millisecond = total_ms.rem_euclid(1000) as u32;
    let seconds = total_ms.div_euclid(1000);
    let days = seconds.div_euclid(SECONDS_PER_DAY);
    let of_day = seconds.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = date_of_days(days);
    Some(CivilUtc {
        year,
        month,
        day,
        hour: (of_day / 3600) as u32,
        minute: (of_day / 60 % 60) as u32,
        second: (of_day % 60) as u32,
        millisecond,
    })
}

/// Year, month, day of `days` since 1970-01-01. Years are counted from March so
/// that the leap day is the last day of a year; a 400-year era repeats exactly.
fn date_of_days(days: i64) -> (i64, u32, u32) {
    let z = days + UNIX_EPOCH_FROM_MARCH_0000;
    let era = z.div_euclid(DAYS_PER_ERA);
    let day_of_era = z.rem_euclid(DAYS_PER_ERA); // 0..=146096
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // 0..=399
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // 0..=365, from March 1
    let month_from_march = (5 * day_of_year + 2) / 153; // 0..=11
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(c: CivilUtc) -> (i64, u32, u32, u32, u32, u32, u32) {
        (c.year, c.month, c.day, c.hour, c.minute, c.second, c.millisecond)
    }

    #[test]
    fn known_instants() {
        assert_eq!(fields(civil_utc(0.0).unwrap()), (1970, 1, 1, 0, 0, 0, 0));
        // `date -u -d @1764676862.25`: 2025-12-02 12:01:02.250
        assert_eq!(fields(civil_utc(1_764_676_862.25).unwrap()), (2025, 12, 2, 12, 1, 2, 250));
        // Leap days: 2000 (divisible by 400) has one, 2100 does not.
        assert_eq!(fields(civil_utc(951_782_400.0).unwrap()), (2000, 2, 29, 0, 0, 0, 0));
        assert_eq!(fields(civil_utc(4_107_542_400.0).unwrap()), (2100, 3, 1, 0, 0, 0, 0));
        // The NTP roll-over: 2036-02-07 06:28:16.
        assert_eq!(fields(civil_utc(2_085_978_496.0).unwrap()), (2036, 2, 7, 6, 28, 16, 0));
        // Before 1970: one millisecond before the epoch.
        assert_eq!(fields(civil_utc(-0.001).unwrap()), (1969, 12, 31, 23, 59, 59, 999));
        assert_eq!(civil_utc(f64::NAN), None);
        assert_eq!(civil_utc(1e13), None);
    }

    #[test]
    fn every_day_follows_the_previous() {
        // Walk 1 Jan 1900 .. 2200 a day at a time: the calendar never skips or repeats.
        let days_in = |y: i64, m: u32| match m {
            2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let mut expect = (1900, 1, 1);
        for day in -25_567..84_000i64 {
            let c = civil_utc(day as f64 * 86_400.0 + 43_200.5).unwrap();
            assert_eq!((c.year, c.month, c.day), expect, "day {day}");
            assert_eq!((c.hour, c.minute, c.second, c.millisecond), (12, 0, 0, 500));
            let (y, m, d) = expect;
            expect = if d < days_in(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }
}
