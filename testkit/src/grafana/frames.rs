//! The frames of a `QueryData` answer read back from Arrow IPC, as Grafana's Go side reads them
//! (grafana-plugin-sdk-go `data.UnmarshalArrowFrame`): the frame's `name` and `refId` from the
//! schema's metadata; each field's name, `labels` and `config` (JSON) from its metadata, its values.

use arrow2::array::{Array, PrimitiveArray, Utf8Array};
use arrow2::datatypes::{DataType, TimeUnit};
use arrow2::io::ipc::read::{read_file_metadata, FileReader};
use serde_json::{json, Value};

/// One frame as Grafana receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadFrame {
    pub name: String,
    pub ref_id: String,
    pub fields: Vec<ReadField>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReadField {
    pub name: String,
    /// Grafana's field type: `time`, `number` or `string`.
    pub kind: &'static str,
    /// `labels` as written (`{}` when none).
    pub labels: Value,
    /// `config` as written (`null` when none).
    pub config: Value,
    /// Times in epoch ms, numbers, strings; `null` for a missing value.
    pub values: Vec<Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum FrameReadError {
    #[error("not an Arrow IPC file: {0}")]
    Arrow(#[from] arrow2::error::Error),
    #[error("field {field}: metadata {key} is not JSON: {error}")]
    Metadata { field: String, key: String, error: String },
    #[error("field {0}: a column type Grafana frames here do not use ({1:?})")]
    Type(String, DataType),
}

/// Reads one frame (one Arrow IPC file, as the SDK writes each frame).
pub fn read_frame(bytes: &[u8]) -> Result<ReadFrame, FrameReadError> {
    let mut cursor = std::io::Cursor::new(bytes);
    let metadata = read_file_metadata(&mut cursor)?;
    let schema = metadata.schema.clone();
    let mut columns: Vec<Vec<Value>> = vec![Vec::new(); schema.fields.len()];
    for chunk in FileReader::new(cursor, metadata, None, None) {
        for (i, (array, field)) in chunk?.arrays().iter().zip(&schema.fields).enumerate() {
            columns[i].extend(values(array.as_ref(), &field.name)?);
        }
    }
    let meta = |key: &str, field: &arrow2::datatypes::Field, empty: Value| -> Result<Value, FrameReadError> {
        field.metadata.get(key).map_or(Ok(empty), |text| {
            serde_json::from_str(text).map_err(|e| FrameReadError::Metadata {
                field: field.name.clone(),
                key: key.to_string(),
                error: e.to_string(),
            })
        })
    };
    let fields = schema
        .fields
        .iter()
        .zip(columns)
        .map(|(f, values)| {
            Ok(ReadField {
                name: f.name.clone(),
                kind: kind(&f.data_type),
                labels: meta("labels", f, json!({}))?,
                config: meta("config", f, Value::Null)?,
                values,
            })
        })
        .collect::<Result<Vec<_>, FrameReadError>>()?;
    Ok(ReadFrame {
        name: schema.metadata.get("name").cloned().unwrap_or_default(),
        ref_id: schema.metadata.get("refId").cloned().unwrap_or_default(),
        fields,
    })
}

/// Grafana's field type for an Arrow column type (grafana-plugin-sdk-go `data.FieldType`).
fn kind(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Timestamp(..) => "time",
        DataType::Utf8 => "string",
        _ => "number",
    }
}

impl ReadFrame {
    /// The frame as Grafana's HTTP API hands it to the browser (`@grafana/data`'s `DataFrameJSON`:
    /// `schema` with the fields' name, type, config and labels; `data.values`, times in epoch ms).
    pub fn to_grafana_json(&self) -> Value {
        let fields: Vec<Value> = self
            .fields
            .iter()
            .map(|f| {
                let mut field = json!({ "name": f.name, "type": f.kind, "config": if f.config.is_null() { json!({}) } else { f.config.clone() } });
                if f.labels.as_object().is_some_and(|l| !l.is_empty()) {
                    field["labels"] = f.labels.clone();
                }
                field
            })
            .collect();
        json!({
            "schema": { "name": self.name, "refId": self.ref_id, "fields": fields },
            "data": { "values": self.fields.iter().map(|f| f.values.clone()).collect::<Vec<_>>() }
        })
    }
}

fn values(array: &dyn Array, field: &str) -> Result<Vec<Value>, FrameReadError> {
    let per_ms = match array.data_type() {
        DataType::Timestamp(TimeUnit::Nanosecond, _) => Some(1_000_000),
        DataType::Timestamp(TimeUnit::Microsecond, _) => Some(1_000),
        DataType::Timestamp(TimeUnit::Millisecond, _) => Some(1),
        _ => None,
    };
    match array.data_type() {
        DataType::Timestamp(..) | DataType::Int64 => {
            let ints = array.as_any().downcast_ref::<PrimitiveArray<i64>>();
            let ints = ints.ok_or_else(|| FrameReadError::Type(field.to_string(), array.data_type().clone()))?;
            Ok(ints.iter().map(|v| v.map_or(Value::Null, |v| json!(per_ms.map_or(*v, |d| v / d)))).collect())
        }
        DataType::Float64 => {
            let floats = array.as_any().downcast_ref::<PrimitiveArray<f64>>();
            let floats = floats.ok_or_else(|| FrameReadError::Type(field.to_string(), array.data_type().clone()))?;
            Ok(floats.iter().map(|v| v.map_or(Value::Null, |v| json!(v))).collect())
        }
        DataType::Utf8 => {
            let texts = array.as_any().downcast_ref::<Utf8Array<i32>>();
            let texts = texts.ok_or_else(|| FrameReadError::Type(field.to_string(), array.data_type().clone()))?;
            Ok(texts.iter().map(|v| v.map_or(Value::Null, |v| json!(v))).collect())
        }
        other => Err(FrameReadError::Type(field.to_string(), other.clone())),
    }
}
