//! A moment of the pipeline — the instant travelled to and the stage whose drill-down is open — as a
//! query parameter of the dashboard's URL, so a link shows whoever opens it what its sender saw.
//!
//! One parameter per flow panel, named by the panel's id, so two flow panels on a dashboard keep
//! their own moments. Grafana's share links copy every query parameter, and Scenes' URL sync writes
//! only the keys its objects own, so the parameter survives both. A value that does not read as a
//! moment is ignored whole: the panel shows the live view and drops the parameter.

use crate::limits::{within_dates, MAX_MOMENT_BYTES};
use crate::pipeline::is_valid_id;

/// The parameter's name is this followed by the panel's id.
pub const KEY_PREFIX: &str = "codexflow-";

/// Between the instant and the stage: unreserved in URLs, never part of either.
const SEPARATOR: char = '~';

/// What a link restores.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moment {
    /// The instant (epoch ms) shown in time travel; `None` is now.
    pub at: Option<i64>,
    /// The stage whose drill-down is open.
    pub stage: Option<String>,
}

/// The query parameter of panel `panel_id`.
pub fn key(panel_id: u32) -> String {
    format!("{KEY_PREFIX}{panel_id}")
}

impl Moment {
    /// Reads a parameter's value: `<ms>`, `<ms>~<stage>` or `~<stage>`. Anything else, anything
    /// longer than [`MAX_MOMENT_BYTES`], an instant outside 1970–9999 or a stage id the pipeline
    /// could not have is `None`.
    pub fn parse(value: &str) -> Option<Moment> {
        if value.len() > MAX_MOMENT_BYTES {
            return None;
        }
        let (at, stage) = match value.split_once(SEPARATOR) {
            Some((at, stage)) => (at, Some(stage)),
            None => (value, None),
        };
        let at = match at {
            "" => None,
            digits if digits.bytes().all(|b| b.is_ascii_digit()) => {
                Some(digits.parse::<i64>().ok().filter(|&t| within_dates(t))?)
            }
            _ => return None,
        };
        let stage = match stage {
            None => None,
            Some(id) if is_valid_id(id) => Some(id.to_string()),
            Some(_) => return None,
        };
        (at.is_some() || stage.is_some()).then_some(Moment { at, stage })
    }

    /// The parameter's value, or `None` for the live view with nothing open (no parameter at all).
    pub fn value(&self) -> Option<String> {
        match (self.at, &self.stage) {
            (None, None) => None,
            (at, stage) => Some(format!(
                "{}{}",
                at.map(|t| t.to_string()).unwrap_or_default(),
                stage.as_ref().map(|s| format!("{SEPARATOR}{s}")).unwrap_or_default()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moment(at: Option<i64>, stage: Option<&str>) -> Moment {
        Moment { at, stage: stage.map(str::to_string) }
    }

    #[test]
    fn a_moment_reads_back_as_written() {
        for m in [
            moment(Some(1_733_500_000_000), Some("jangar")),
            moment(Some(0), None),
            moment(None, Some("agent-comms_2")),
        ] {
            let value = m.value().unwrap();
            assert_eq!(Moment::parse(&value), Some(m), "{value}");
        }
        assert_eq!(Moment::default().value(), None, "the live view with nothing open is no parameter");
        assert_eq!(key(12), "codexflow-12");
    }

    #[test]
    fn anything_else_is_ignored_whole() {
        let longest = format!("{}~{}", crate::limits::MAX_EPOCH_MS, "s".repeat(64));
        assert!(longest.len() <= MAX_MOMENT_BYTES && Moment::parse(&longest).is_some());
        for bad in [
            "",
            "~",
            "now",
            "-5",
            "+5",
            "1.5",
            "1e12",
            " 5",
            "5~",
            "99999999999999999999",
            "253402300800000",
            "5~Jangar",
            "5~jangar~x",
            "5~<script>",
            "~jangar ",
            &"9".repeat(10_000),
            &format!("5~{}", "s".repeat(65)),
        ] {
            assert_eq!(Moment::parse(bad), None, "{bad:?}");
        }
    }
}
