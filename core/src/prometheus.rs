//! The fixed words of the Prometheus HTTP API that the backend reads (`/api/v1/query_range`,
//! `/api/v1/series`, …), so an answer is matched against an enum, never a string.

use serde::Deserialize;

/// An answer's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiStatus {
    Success,
    Error,
    /// Anything else: not a Prometheus answer.
    #[serde(other)]
    Other,
}

/// A query answer's `data.resultType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultType {
    Matrix,
    Vector,
    Scalar,
    String,
    #[serde(other)]
    Other,
}

impl ResultType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResultType::Matrix => "matrix",
            ResultType::Vector => "vector",
            ResultType::Scalar => "scalar",
            ResultType::String => "string",
            ResultType::Other => "something else",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_strangers() {
        assert_eq!(serde_json::from_str::<ApiStatus>("\"success\"").unwrap(), ApiStatus::Success);
        assert_eq!(serde_json::from_str::<ApiStatus>("\"ok\"").unwrap(), ApiStatus::Other);
        assert_eq!(serde_json::from_str::<ResultType>("\"matrix\"").unwrap(), ResultType::Matrix);
        assert_eq!(serde_json::from_str::<ResultType>("\"streams\"").unwrap(), ResultType::Other);
    }
}
