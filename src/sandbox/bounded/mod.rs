//! A keyed store of at most `capacity` objects in insertion order, which makes room by evicting
//! its oldest *settled* object: the fakes keep their intents, cobs, payments, refunds and
//! customers in one each, so `payorch sandbox` stays in bounded memory under load
//! (`--max-objects`, [`DEFAULT_MAX_OBJECTS`]).
//!
//! Settled means nobody can act on it any more (succeeded, failed, canceled, refunded); the
//! store asks a function given at creation, and asks again after every change made through
//! [`Bounded::update`], so an object that settles later becomes evictable then. An unsettled
//! object (a pending Pix, an intent awaiting action or capture, a refund in progress) is never
//! evicted: when every object is unsettled, [`Bounded::insert`] refuses with [`Full`] and the
//! fake answers its gateway's 429 (a definite "not done, try later": payorch's adapters read
//! 429 as rate limiting, never as an ambiguous outcome, which a 5xx would be).
//!
//! Cost: insertion order is a `BTreeMap` by sequence number and the settled objects a
//! `BTreeSet` of theirs, so lookups are O(1) and inserting, evicting and updating O(log n),
//! never a scan. An evicted object is gone: reads of its id answer 404, like an unknown id.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;

/// `--max-objects` by default: a 10-second `payorch bench` at the sandbox's full speed creates
/// fewer objects of one kind, so a run's ledger is complete, while memory stays bounded (about
/// 0.5 GB for Stripe intents with idempotency keys; the README's sandbox section has the figures).
pub const DEFAULT_MAX_OBJECTS: usize = 100_000;

/// Every object is unsettled and the store is at capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full {
    pub capacity: usize,
}

struct Slot<V> {
    seq: u64,
    value: V,
}

/// An object of a [`Bounded`] being changed; filed as settled or not again when dropped.
pub struct RefMut<'a, V> {
    seq: u64,
    value: &'a mut V,
    settled: &'a mut BTreeSet<u64>,
    is_settled: fn(&V) -> bool,
}

impl<V> std::ops::Deref for RefMut<'_, V> {
    type Target = V;
    fn deref(&self) -> &V {
        self.value
    }
}

impl<V> std::ops::DerefMut for RefMut<'_, V> {
    fn deref_mut(&mut self) -> &mut V {
        self.value
    }
}

impl<V> Drop for RefMut<'_, V> {
    fn drop(&mut self) {
        if (self.is_settled)(self.value) {
            self.settled.insert(self.seq);
        } else {
            self.settled.remove(&self.seq);
        }
    }
}

/// At most `capacity` objects by key, oldest first; see the module comment.
pub struct Bounded<K, V> {
    capacity: usize,
    is_settled: fn(&V) -> bool,
    next_seq: u64,
    items: HashMap<K, Slot<V>>,
    /// Every key by insertion sequence.
    order: BTreeMap<u64, K>,
    /// The sequence numbers of the settled objects.
    settled: BTreeSet<u64>,
}

impl<K: Hash + Eq + Clone, V> Bounded<K, V> {
    /// An empty store of at most `capacity` (at least 1) objects.
    pub fn new(capacity: usize, is_settled: fn(&V) -> bool) -> Self {
        Bounded {
            capacity: capacity.max(1),
            is_settled,
            next_seq: 0,
            items: HashMap::new(),
            order: BTreeMap::new(),
            settled: BTreeSet::new(),
        }
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

    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.items.get(key).map(|s| &s.value)
    }

    pub fn contains_key<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.items.contains_key(key)
    }

    /// Whether an insertion now would succeed (without evicting anything yet).
    pub fn has_room(&self) -> Result<(), Full> {
        if self.items.len() < self.capacity || !self.settled.is_empty() {
            Ok(())
        } else {
            Err(Full {
                capacity: self.capacity,
            })
        }
    }

    /// Adds `value` as the newest object (replacing one under the same key in place). At
    /// capacity the oldest settled object makes room and is returned; with none settled the
    /// value is refused.
    pub fn insert(&mut self, key: K, value: V) -> Result<Option<(K, V)>, Full> {
        if self.items.contains_key(&key) {
            self.update(&key, |v| *v = value);
            return Ok(None);
        }
        let evicted = if self.items.len() >= self.capacity {
            self.has_room()?;
            self.evict_oldest_settled()
        } else {
            None
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        if (self.is_settled)(&value) {
            self.settled.insert(seq);
        }
        self.order.insert(seq, key.clone());
        self.items.insert(key, Slot { seq, value });
        Ok(evicted)
    }

    fn evict_oldest_settled(&mut self) -> Option<(K, V)> {
        let seq = self.settled.pop_first()?;
        let key = self.order.remove(&seq)?;
        let slot = self.items.remove(&key)?;
        Some((key, slot.value))
    }

    /// The object under `key`, to change: it is filed as settled or not again when the guard
    /// is dropped.
    pub fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<RefMut<'_, V>>
    where
        K: Borrow<Q>,
    {
        let slot = self.items.get_mut(key)?;
        Some(RefMut {
            seq: slot.seq,
            value: &mut slot.value,
            settled: &mut self.settled,
            is_settled: self.is_settled,
        })
    }

    /// Changes an object through `f` (see [`Bounded::get_mut`]).
    pub fn update<Q: Hash + Eq + ?Sized, T>(
        &mut self,
        key: &Q,
        f: impl FnOnce(&mut V) -> T,
    ) -> Option<T>
    where
        K: Borrow<Q>,
    {
        self.get_mut(key).map(|mut v| f(&mut v))
    }

    /// Every object, oldest first.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> {
        self.order
            .values()
            .filter_map(|k| self.items.get(k).map(|s| &s.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Even numbers are settled.
    fn store(capacity: usize) -> Bounded<u32, u32> {
        Bounded::new(capacity, |v| v % 2 == 0)
    }

    #[test]
    fn the_oldest_settled_object_makes_room() {
        let mut s = store(3);
        for k in [1, 2, 4] {
            assert_eq!(s.insert(k, k), Ok(None));
        }
        // 1 is older but unsettled: 2 goes.
        assert_eq!(s.insert(6, 6), Ok(Some((2, 2))));
        assert_eq!(s.values().copied().collect::<Vec<_>>(), [1, 4, 6]);
        assert!(s.get(&2).is_none());
        // 1 settles: it is the oldest settled now.
        s.update(&1, |v| *v = 10);
        assert_eq!(s.insert(8, 8), Ok(Some((1, 10))));
        assert_eq!(s.values().copied().collect::<Vec<_>>(), [4, 6, 8]);
    }

    #[test]
    fn with_everything_unsettled_new_objects_are_refused() {
        let mut s = store(2);
        s.insert(1, 1).unwrap();
        s.insert(3, 3).unwrap();
        assert_eq!(s.has_room(), Err(Full { capacity: 2 }));
        assert_eq!(s.insert(5, 5), Err(Full { capacity: 2 }));
        assert_eq!(s.len(), 2);
        // An update that unsettles keeps it off the eviction list.
        s.update(&3, |v| *v = 4);
        s.update(&3, |v| *v = 7);
        assert!(s.has_room().is_err());
        // Re-inserting an existing key replaces it in place, whatever the count.
        assert_eq!(s.insert(3, 9), Ok(None));
        assert_eq!(s.get(&3), Some(&9));
    }
}
