//! Unit enums read from the wire by name, through one deserializer for all of them.
//!
//! Why: serde's derive gives every enum its own visitor (a matcher over strings and bytes, the
//! variant access), and the panel and the config page read about a dozen such enums: each was
//! about 1.3 KB of their `.wasm`. Here each enum lists its names once ([`by_name!`]), and reading
//! one is a search in that list. What is accepted and the errors are serde's own: the names,
//! aliases listed as further names, `unknown variant` otherwise, or the enum's catch-all variant
//! where it has one (serde's `#[serde(other)]`). Writing stays serde's derive; a test holds the
//! two ways to the same names.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// A unit enum's variants and their names on the wire, in one order (a variant may appear twice:
/// its name and an alias).
pub trait ByName: Sized + Copy + 'static {
    const ALL: &'static [Self];
    const NAMES: &'static [&'static str];
    /// What any other name reads as; `None`: it is an error.
    const OTHER: Option<Self> = None;
}

/// Reads `T` by name.
pub fn deserialize<'de, D: Deserializer<'de>, T: ByName>(d: D) -> Result<T, D::Error> {
    match position(d, T::NAMES, T::OTHER.is_some())? {
        Some(i) => T::ALL.get(i).copied().ok_or_else(|| de::Error::custom("a name without a variant")),
        None => T::OTHER.ok_or_else(|| de::Error::custom("a name without a variant")),
    }
}

/// Where the string read is among `names`; `None` for another name when the enum has a catch-all
/// (`other`), else serde's unknown-variant error. Not generic over the enum: one copy.
fn position<'de, D: Deserializer<'de>>(
    d: D,
    names: &'static [&'static str],
    other: bool,
) -> Result<Option<usize>, D::Error> {
    struct V(&'static [&'static str], bool);
    impl<'de> Visitor<'de> for V {
        type Value = Option<usize>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a variant name")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<usize>, E> {
            match self.0.iter().position(|n| *n == v) {
                None if !self.1 => Err(E::unknown_variant(v, self.0)),
                found => Ok(found),
            }
        }
    }
    d.deserialize_str(V(names, other))
}

/// Implements [`ByName`] and `Deserialize` for a unit enum: `by_name!(T { A = "a", B = "b" })`,
/// with `other C` after the braces for a catch-all variant.
#[macro_export]
macro_rules! by_name {
    ($t:ident { $($v:ident = $n:literal),* $(,)? } $(other $o:ident)?) => {
        impl $crate::by_name::ByName for $t {
            const ALL: &'static [$t] = &[$($t::$v),*];
            const NAMES: &'static [&'static str] = &[$($n),*];
            $(const OTHER: Option<$t> = Some($t::$o);)?
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                $crate::by_name::deserialize(d)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::ByName;
    use crate::api::{PhaseSource, RuleHealth, RulesSource, StageSource};
    use crate::compact::Encoding;
    use crate::error::ErrorCode;
    use crate::queue::{ConsumerStatus, Trend};
    use crate::settings::{AuthKind, RulesChoice};
    use crate::{AlertState, StageStatus};
    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use std::fmt::Debug;

    /// Each name reads as its variant; each variant is written (by serde's derive) as the first
    /// name listed for it; another name is an error, or the catch-all.
    fn same_names<T: ByName + Serialize + DeserializeOwned + PartialEq + Debug>() {
        for (name, v) in T::NAMES.iter().zip(T::ALL) {
            assert_eq!(serde_json::from_str::<T>(&format!("\"{name}\"")).unwrap(), *v, "{name}");
            let first = T::ALL.iter().position(|x| x == v).map(|i| T::NAMES[i]);
            assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{}\"", first.unwrap()));
        }
        let other = serde_json::from_str::<T>("\"no such name\"");
        match T::OTHER {
            Some(o) => assert_eq!(other.unwrap(), o),
            None => {
                let e = other.unwrap_err().to_string();
                assert!(e.starts_with("unknown variant `no such name`, expected "), "{e}");
            }
        }
        assert!(serde_json::from_str::<T>("1").is_err());
    }

    #[test]
    fn every_enum_read_by_name_is_written_with_the_same_names() {
        same_names::<AlertState>();
        same_names::<StageStatus>();
        same_names::<Encoding>();
        same_names::<Trend>();
        same_names::<ConsumerStatus>();
        same_names::<RulesChoice>();
        same_names::<AuthKind>();
        same_names::<PhaseSource>();
        same_names::<RuleHealth>();
        same_names::<RulesSource>();
        same_names::<StageSource>();
        same_names::<ErrorCode>();
        // An alias, and a catch-all, as serde's `alias` and `other` read them.
        assert_eq!(serde_json::from_str::<RuleHealth>("\"error\"").unwrap(), RuleHealth::Err);
        assert_eq!(serde_json::from_str::<ErrorCode>("\"teapot\"").unwrap(), ErrorCode::Unknown);
    }
}
