//! Which samples a perform call computes. Pd's logical time inside a perform
//! routine is the END of the 64-sample scheduler tick. A block of n >= tick
//! samples covers [now − n, now) (as vline~ assumes); a smaller block
//! (`[block~ 1]`…) is run tick/n times with the same logical time, the k-th
//! call covering the k-th part of the tick.

use super::units::LogicalMs;

#[derive(Debug, Default)]
pub struct BlockClock {
    last_tick_end: Option<LogicalMs>,
    calls_this_tick: usize,
}

impl BlockClock {
    /// Logical time at the end of the block about to be computed.
    /// `tick_samples` is the scheduler tick in this signal's samples.
    pub fn block_end_ms(&mut self, tick_end: LogicalMs, n: usize, sr: f64, tick_samples: f64) -> LogicalMs {
        if self.last_tick_end == Some(tick_end) {
            self.calls_this_tick += 1;
        } else {
            self.calls_this_tick = 0;
            self.last_tick_end = Some(tick_end);
        }
        let n = n as f64;
        if n >= tick_samples {
            return tick_end;
        }
        let done = (self.calls_this_tick as f64 + 1.0) * n;
        tick_end.plus_ms(-((tick_samples - done).max(0.0) * 1000.0 / sr))
    }

    /// True for the first perform call of a scheduler tick.
    pub fn is_new_tick(&self, tick_end: LogicalMs) -> bool {
        self.last_tick_end != Some(tick_end)
    }

    /// Forget the pattern (DSP restarted).
    pub fn reset(&mut self) {
        *self = BlockClock::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_one_walks_through_the_tick() {
        let mut c = BlockClock::default();
        let sr = 48000.0;
        let tick_end = 64.0 * 1000.0 / sr;
        let ends: Vec<f64> =
            (0..64).map(|_| c.block_end_ms(LogicalMs(tick_end), 1, sr, 64.0).0 * sr / 1000.0).collect();
        for (k, e) in ends.iter().enumerate() {
            assert!((e - (k as f64 + 1.0)).abs() < 1e-9, "call {k}: end sample {e}");
        }
        assert!((c.block_end_ms(LogicalMs(2.0 * tick_end), 1, sr, 64.0).0 * sr / 1000.0 - 65.0).abs() < 1e-9);
    }

    #[test]
    fn big_blocks_end_now() {
        let mut c = BlockClock::default();
        assert_eq!(c.block_end_ms(LogicalMs(100.0), 2048, 48000.0, 64.0), LogicalMs(100.0));
        assert_eq!(c.block_end_ms(LogicalMs(100.0), 64, 48000.0, 64.0), LogicalMs(100.0));
    }
}
