//! A set stored as an Automerge map from element to `true`, so concurrent additions merge.

use std::collections::BTreeSet;

use autosurgeon::{Hydrate, HydrateError, ReadDoc, Reconcile, Reconciler};
use serde::{Serialize, Serializer};

/// An ordered set whose elements are stored as keys of an Automerge map.
///
/// Concurrent additions of different elements both survive a merge; a removal deletes the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Set<T: Ord>(BTreeSet<T>);

impl<T: Ord> Default for Set<T> {
    fn default() -> Self {
        Self(BTreeSet::new())
    }
}

impl<T: Ord> Set<T> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `value` is in the set.
    pub fn contains(&self, value: &T) -> bool {
        self.0.contains(value)
    }

    /// Adds `value`; returns whether it was new.
    pub fn insert(&mut self, value: T) -> bool {
        self.0.insert(value)
    }

    /// Removes `value`; returns whether it was present.
    pub fn remove(&mut self, value: &T) -> bool {
        self.0.remove(value)
    }

    /// The elements in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.0.iter()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Ord> FromIterator<T> for Set<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<T: Ord + Serialize> Serialize for Set<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

impl<T: Ord + AsRef<str>> Reconcile for Set<T> {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        use autosurgeon::reconcile::MapReconciler;
        let mut map = reconciler.map()?;
        let stale: Vec<String> = map
            .entries()
            .map(|(key, _)| key.to_string())
            .filter(|key| !self.0.iter().any(|v| v.as_ref() == key))
            .collect();
        for key in stale {
            map.delete(&key)?;
        }
        for value in &self.0 {
            if map.entry(value.as_ref()).is_none() {
                map.put(value.as_ref(), true)?;
            }
        }
        Ok(())
    }
}

impl<T: Ord + From<String>> Hydrate for Set<T> {
    fn hydrate_map<D: ReadDoc>(doc: &D, obj: &automerge::ObjId) -> Result<Self, HydrateError> {
        Ok(Self(
            doc.map_range(obj.clone(), ..)
                .map(|item| T::from(item.key.into_owned()))
                .collect(),
        ))
    }
}
