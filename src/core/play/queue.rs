//! A bounded queue of events kept in order of due time. Its storage is
//! allocated once, so popping (done in the perform routine) never allocates,
//! and neither does pushing while there is room.

use std::collections::VecDeque;

pub trait Due {
    /// Logical time (ms) at which the event is due.
    fn due_ms(&self) -> f64;
}

#[derive(Debug)]
pub struct BoundedQueue<T> {
    items: VecDeque<T>,
    capacity: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Full;

impl<T: Due> BoundedQueue<T> {
    pub fn new(capacity: usize) -> Self {
        BoundedQueue { items: VecDeque::with_capacity(capacity), capacity }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Inserts in due order; events due at the same time keep their arrival order.
    pub fn push(&mut self, item: T) -> Result<(), Full> {
        if self.items.len() >= self.capacity {
            return Err(Full);
        }
        let due = item.due_ms();
        let at = self.items.partition_point(|e| e.due_ms() <= due);
        self.items.insert(at, item);
        Ok(())
    }

    pub fn peek(&self) -> Option<&T> {
        self.items.front()
    }

    pub fn pop(&mut self) -> Option<T> {
        self.items.pop_front()
    }

    /// Pops the first event if it is due before `limit_ms`.
    pub fn pop_due_before(&mut self, limit_ms: f64) -> Option<T> {
        if self.items.front()?.due_ms() < limit_ms { self.items.pop_front() } else { None }
    }

    /// Changes every event's due time with `f`, then restores due order (stable,
    /// in place: no allocation, and O(n) when the order barely changed, as
    /// after a clock refit).
    pub fn remap(&mut self, mut f: impl FnMut(&mut T)) {
        let items = self.items.make_contiguous();
        for item in items.iter_mut() {
            f(item);
        }
        for i in 1..items.len() {
            let mut j = i;
            while j > 0 && items[j - 1].due_ms() > items[j].due_ms() {
                items.swap(j - 1, j);
                j -= 1;
            }
        }
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }

    /// Changes the bound (control thread only: this may allocate). Events that
    /// no longer fit are dropped from the back (the latest) and returned.
    pub fn set_capacity(&mut self, capacity: usize) -> Vec<T> {
        let dropped: Vec<T> = if self.items.len() > capacity { self.items.drain(capacity..).collect() } else { Vec::new() };
        self.items.reserve_exact(capacity.saturating_sub(self.items.len()));
        self.capacity = capacity;
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, PartialEq, Clone, Copy)]
    struct E(f64, u32);
    impl Due for E {
        fn due_ms(&self) -> f64 {
            self.0
        }
    }

    #[test]
    fn bounded() {
        let mut q = BoundedQueue::new(2);
        assert_eq!(q.push(E(1.0, 0)), Ok(()));
        assert_eq!(q.push(E(0.5, 1)), Ok(()));
        assert_eq!(q.push(E(0.1, 2)), Err(Full));
        assert_eq!(q.pop(), Some(E(0.5, 1)));
    }

    #[test]
    fn pop_due_before_respects_limit() {
        let mut q = BoundedQueue::new(4);
        q.push(E(2.0, 0)).unwrap();
        assert_eq!(q.pop_due_before(2.0), None);
        assert_eq!(q.pop_due_before(2.5), Some(E(2.0, 0)));
    }

    #[test]
    fn shrinking_drops_the_latest() {
        let mut q = BoundedQueue::new(4);
        for i in 0..4 {
            q.push(E(i as f64, i)).unwrap();
        }
        assert_eq!(q.set_capacity(2), vec![E(2.0, 2), E(3.0, 3)]);
        assert_eq!(q.push(E(9.0, 9)), Err(Full));
    }

    proptest! {
        #[test]
        fn remap_restores_due_order(dues in proptest::collection::vec(0u8..20, 0..64), shift in proptest::collection::vec(-5i8..5, 64), uniform in -3i8..3) {
            let mut q = BoundedQueue::new(64);
            for (i, d) in dues.iter().enumerate() {
                q.push(E(*d as f64, i as u32)).unwrap();
            }
            // One shift for all (a clock refit) keeps the order exactly.
            let before: Vec<u32> = q.iter().map(|e| e.1).collect();
            q.remap(|e| e.0 += uniform as f64);
            prop_assert_eq!(q.iter().map(|e| e.1).collect::<Vec<_>>(), before);
            // Any shifts: due order again, nothing lost.
            q.remap(|e| e.0 += shift[e.1 as usize] as f64);
            let got: Vec<E> = std::iter::from_fn(|| q.pop()).collect();
            prop_assert!(got.windows(2).all(|w| w[0].0 <= w[1].0), "{:?}", got);
            let mut ids: Vec<u32> = got.iter().map(|e| e.1).collect();
            ids.sort();
            prop_assert_eq!(ids, (0..dues.len() as u32).collect::<Vec<_>>());
        }

        #[test]
        fn pops_in_due_then_arrival_order(dues in proptest::collection::vec(0u8..20, 0..64)) {
            let mut q = BoundedQueue::new(64);
            for (i, d) in dues.iter().enumerate() {
                q.push(E(*d as f64, i as u32)).unwrap();
            }
            let mut expected: Vec<E> = dues.iter().enumerate().map(|(i, d)| E(*d as f64, i as u32)).collect();
            expected.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
            let got: Vec<E> = std::iter::from_fn(|| q.pop()).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
