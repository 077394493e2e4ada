//! The flow panel's fixed choices, as its options editor stores them in the panel JSON.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Which way the flow runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    LeftToRight,
    TopToBottom,
}

impl Direction {
    /// The option's value in the panel JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::LeftToRight => "lr",
            Direction::TopToBottom => "tb",
        }
    }

    /// `tb` (or `top-to-bottom`, `vertical`, any case) is top to bottom; anything else left to right,
    /// so an odd value in a hand-edited dashboard still draws.
    pub fn parse(s: &str) -> Direction {
        match s.to_ascii_lowercase().as_str() {
            "tb" | "top-to-bottom" | "vertical" => Direction::TopToBottom,
            _ => Direction::LeftToRight,
        }
    }
}

impl Serialize for Direction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Direction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Direction, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Direction;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"lr\" or \"tb\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Direction, E> {
                Ok(Direction::parse(v))
            }
        }
        // A string only (not `deserialize_any`): the panel's .wasm is smaller for it.
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_read_leniently_and_write_canonically() {
        for (json, d) in [
            ("\"tb\"", Direction::TopToBottom),
            ("\"Vertical\"", Direction::TopToBottom),
            ("\"lr\"", Direction::LeftToRight),
            ("\"sideways\"", Direction::LeftToRight),
        ] {
            assert_eq!(serde_json::from_str::<Direction>(json).unwrap(), d, "{json}");
        }
        assert_eq!(serde_json::to_string(&Direction::TopToBottom).unwrap(), "\"tb\"");
    }
}
