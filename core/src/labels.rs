//! Label sets: sorted `(name, value)` pairs in memory, a JSON object on the wire.
//!
//! A vector rather than a map type: the WASM panel deserializes every alert's
//! labels, and each map type instantiated there costs kilobytes of code.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Labels(Vec<(String, String)>);

impl Labels {
    /// Sorted by name; for a repeated name the last value wins, as in a map.
    ///
    /// Natively a sort, as upstream sends labels in any order and any number. In the panel each
    /// pair goes in at its place by binary search instead: it reads only the labels the backend
    /// wrote, already sorted and unique, so each pair is appended, and no sort routine (3 KB of
    /// `.wasm`) is compiled in.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Labels {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let mut pairs: Vec<(String, String)> = pairs.into_iter().collect();
            pairs.reverse();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            pairs.dedup_by(|later, earlier| later.0 == earlier.0);
            Labels(pairs)
        }
        #[cfg(target_arch = "wasm32")]
        {
            Labels(by_insertion(pairs))
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(name)).ok().map(|i| self.0[i].1.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// What tells an alert from the other alerts of its rule, `name=value, …`: every label but
    /// `alertname`, `severity` and `stage`, which its rule and stage already say.
    pub fn distinguishing(&self) -> String {
        self.iter()
            .filter(|(k, _)| !matches!(*k, "alertname" | "severity" | "stage"))
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl From<BTreeMap<String, String>> for Labels {
    fn from(map: BTreeMap<String, String>) -> Labels {
        Labels(map.into_iter().collect())
    }
}

impl Serialize for Labels {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// Sorted and unique by name, the last value of a repeated name kept: the panel's way to
/// [`Labels::new`].
#[cfg(any(target_arch = "wasm32", test))]
fn by_insertion(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut sorted: Vec<(String, String)> = Vec::new();
    for (name, value) in pairs {
        match sorted.binary_search_by(|(k, _)| k.as_str().cmp(&name)) {
            Ok(i) => sorted[i].1 = value,
            Err(i) => sorted.insert(i, (name, value)),
        }
    }
    sorted
}

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Labels, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Labels;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of label names to string values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Labels, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some(pair) = map.next_entry::<String, String>()? {
                    pairs.push(pair);
                }
                Ok(Labels::new(pairs))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_object_either_way_sorted_and_deduplicated() {
        let l: Labels = serde_json::from_str(r#"{"z":"1","alertname":"A","z":"2"}"#).unwrap();
        assert_eq!(l.iter().collect::<Vec<_>>(), [("alertname", "A"), ("z", "2")]);
        assert_eq!(l.get("z"), Some("2"));
        assert_eq!(l.get("missing"), None);
        assert_eq!(serde_json::to_string(&l).unwrap(), r#"{"alertname":"A","z":"2"}"#);
        assert!(serde_json::from_str::<Labels>(r#"{"a":1}"#).is_err());
        let from_map =
            Labels::from(BTreeMap::from([("b".to_string(), "2".to_string()), ("a".to_string(), "1".to_string())]));
        assert_eq!(from_map.iter().next(), Some(("a", "1")));
    }

    #[test]
    fn the_panels_insertion_gives_what_the_sort_gives() {
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        let inputs = [
            vec![],
            vec![pair("a", "1"), pair("b", "2"), pair("c", "3")],
            vec![pair("z", "1"), pair("alertname", "A"), pair("z", "2"), pair("m", "x")],
            vec![pair("b", "1"), pair("b", "2"), pair("a", "0"), pair("b", "3")],
        ];
        for input in inputs {
            assert_eq!(by_insertion(input.clone()), Labels::new(input).0);
        }
    }

    #[test]
    fn an_alert_is_told_apart_by_the_labels_its_rule_and_stage_do_not_say() {
        let l: Labels =
            serde_json::from_str(r#"{"alertname":"A","severity":"critical","stage":"kafka","topic":"t","pod":"p"}"#)
                .unwrap();
        assert_eq!(l.distinguishing(), "pod=p, topic=t");
        assert_eq!(Labels::default().distinguishing(), "");
    }
}
