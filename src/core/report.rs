//! Status reports. The perform routine may not allocate or call outlets, so it
//! leaves its reports in a ring allocated up front; the shell drains it from a
//! Pd clock right after the block.

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Report<K> {
    Scheduled {
        ahead_ms: f64,
        address: K,
    },
    Late {
        late_ms: f64,
        address: K,
    },
    Dropped {
        reason: DropReason,
        address: K,
    },
    Done {
        array: K,
    },
    Stolen {
        array: K,
    },
    Missing {
        array: K,
    },
    /// The clock estimate jumped by `step_ms` (an xrun, a stall, DSP restarted) and follows at once.
    ClockStep {
        step_ms: f64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    QueueFull,
    /// The forward queue holds as many bytes as it may (`-forwardbytes`).
    QueueBytes,
    TooFar,
    Duplicate,
    Late,
    NoClock,
}

impl DropReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue-full",
            DropReason::QueueBytes => "queue-bytes",
            DropReason::TooFar => "too-far",
            DropReason::Duplicate => "duplicate",
            DropReason::Late => "late",
            DropReason::NoClock => "no-clock",
        }
    }
}

#[derive(Debug)]
pub struct ReportRing<K> {
    items: Vec<Report<K>>,
    lost: usize,
}

pub const REPORT_RING_CAPACITY: usize = 512;

impl<K: Copy> ReportRing<K> {
    pub fn new() -> Self {
        ReportRing { items: Vec::with_capacity(REPORT_RING_CAPACITY), lost: 0 }
    }

    /// Never allocates: when full, the report is counted as lost instead.
    pub fn push(&mut self, report: Report<K>) {
        if self.items.len() < self.items.capacity() {
            self.items.push(report);
        } else {
            self.lost += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.lost == 0
    }

    /// Takes everything reported so far and how many reports did not fit.
    pub fn drain(&mut self) -> (Vec<Report<K>>, usize) {
        let taken = self.items.drain(..).collect();
        (taken, std::mem::take(&mut self.lost))
    }
}

impl<K: Copy> Default for ReportRing<K> {
    fn default() -> Self {
        Self::new()
    }
}
