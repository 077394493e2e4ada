//! Dashboards stored as schema v2, as Grafana 13 stores one saved from its editor with dynamic
//! dashboards on: the legacy `GET /api/dashboards/uid/<uid>` refuses it with 406 naming the API that
//! serves it (grafana/grafana `pkg/api/dashboard.go`, `GetDashboard`), and
//! `/apis/dashboard.grafana.app/<version>/namespaces/<ns>/dashboards/<uid>` serves it: as stored
//! (`v2` from 13, `v2beta1` in 12) or converted (`v1`, `v1beta1`, `v0alpha1`, `status.conversion`). The v2 form is made here from a
//! provisioned v1 dashboard as Grafana's v1 → v2 conversion lays one out (apps/dashboard/pkg/migration/
//! conversion, `v1beta1_to_v2*`; the shapes of apps/dashboard/kinds/v2/dashboard_spec.cue): each panel an
//! element `panel-<id>`, rows a `RowsLayout` (panels before the first row in a row without a header,
//! a collapsed row's panels in its own layout), other dashboards one `GridLayout`.

use serde_json::{json, Map, Value};

/// The namespace of an org's resources (grafana/grafana `pkg/services/apiserver/endpoints/request`,
/// `GetNamespaceMapper` for on-prem: org 1 is `default`, org N `org-N`).
pub fn namespace(org: i64) -> String {
    if org == 1 {
        "default".to_string()
    } else {
        format!("org-{org}")
    }
}

/// The version a dashboard saved from the editor is stored as: the preferred v2 version of the
/// played Grafana, `v2` from 13 (stable, first of the versions served with `dashboardNewLayouts`,
/// `pkg/registry/apis/dashboard/register_test.go`), `v2beta1` before.
pub fn stored_version(played: &str) -> &'static str {
    if super::boot::at_least(played, 13) {
        "v2"
    } else {
        "v2beta1"
    }
}

/// The legacy API's 406 for a v2-stored dashboard, with Grafana's message naming the stored version.
pub fn legacy_refusal(uid: &str, org: i64, stored: &str) -> Value {
    json!({ "message": format!(
        "dashboard api version not supported, use /apis/dashboard.grafana.app/{stored}/namespaces/{}/dashboards/{uid} instead",
        namespace(org)
    ) })
}

/// The resource `/apis/dashboard.grafana.app/<version>/…` answers for a `v1` dashboard stored as
/// `stored`: the v2 form at `v2beta1` and `v2`, the v1 form converted back at `v1beta1`, `v1` and
/// `v0alpha1`, with `status.conversion` wherever the version is not the stored one (as
/// `normalizeConversion` sets it); `None` for a version not played (`v2alpha1`, whose query shape
/// differs, or one Grafana does not serve).
pub fn resource(v1: &Value, version: &str, org: i64, stored: &str) -> Option<Value> {
    let uid = v1.get("uid").cloned().unwrap_or(Value::Null);
    let spec = match version {
        "v2beta1" | "v2" => to_v2(v1),
        "v0alpha1" | "v1beta1" | "v1" => v1.clone(),
        _ => return None,
    };
    let status = if version == stored {
        json!({})
    } else {
        json!({ "conversion": { "failed": false, "storedVersion": stored } })
    };
    Some(json!({ "apiVersion": format!("dashboard.grafana.app/{version}"), "kind": "Dashboard",
        "metadata": { "name": uid, "namespace": namespace(org) }, "spec": spec, "status": status }))
}

/// The v2 spec of a v1 dashboard: its panels as elements, placed by a layout.
pub fn to_v2(v1: &Value) -> Value {
    let panels: Vec<&Value> =
        v1.get("panels").and_then(Value::as_array).map(|p| p.iter().collect()).unwrap_or_default();
    let mut elements = Map::new();
    let mut element = |p: &Value| -> Option<Value> {
        let id = p.get("id").and_then(Value::as_i64)?;
        let name = format!("panel-{id}");
        elements.insert(name.clone(), element_of(p, id));
        Some(grid_item(p, &name))
    };
    let layout = if panels.iter().any(|p| is_row(p)) {
        let mut rows: Vec<Value> = Vec::new();
        let mut items: Vec<Value> = Vec::new();
        let mut row: Option<&Value> = None;
        let close = |row: Option<&Value>, items: Vec<Value>, rows: &mut Vec<Value>| match row {
            None if items.is_empty() => {}
            None => rows.push(json!({ "kind": "RowsLayoutRow", "spec": { "title": "", "hideHeader": true,
                "collapse": false, "layout": grid(items) } })),
            Some(r) => {
                let mut spec = json!({ "title": r.get("title").cloned().unwrap_or(json!("")),
                    "collapse": r.get("collapsed").and_then(Value::as_bool).unwrap_or(false), "layout": grid(items) });
                if let Some(var) = r.get("repeat").and_then(Value::as_str).filter(|v| !v.is_empty()) {
                    spec["repeat"] = json!({ "mode": "variable", "value": var });
                }
                rows.push(json!({ "kind": "RowsLayoutRow", "spec": spec }));
            }
        };
        for p in panels {
            if is_row(p) {
                close(row, std::mem::take(&mut items), &mut rows);
                row = Some(p);
                // A collapsed row keeps its panels inside it; v2 keeps them in the row's layout.
                items.extend(p.get("panels").and_then(Value::as_array).into_iter().flatten().filter_map(&mut element));
            } else if let Some(item) = element(p) {
                items.push(item);
            }
        }
        close(row, items, &mut rows);
        json!({ "kind": "RowsLayout", "spec": { "rows": rows } })
    } else {
        grid(panels.into_iter().filter_map(element).collect())
    };
    json!({
        "title": v1.get("title").cloned().unwrap_or(json!("")),
        "elements": elements,
        "layout": layout,
        "variables": [],
    })
}

fn is_row(p: &Value) -> bool {
    p.get("type").and_then(Value::as_str) == Some("row")
}

fn grid(items: Vec<Value>) -> Value {
    json!({ "kind": "GridLayout", "spec": { "items": items } })
}

fn grid_item(p: &Value, name: &str) -> Value {
    let pos = |k: &str| p.get("gridPos").and_then(|g| g.get(k)).cloned().unwrap_or(json!(0));
    let mut spec = json!({ "x": pos("x"), "y": pos("y"), "width": pos("w"), "height": pos("h"),
        "element": { "kind": "ElementReference", "name": name } });
    if let Some(var) = p.get("repeat").and_then(Value::as_str).filter(|v| !v.is_empty()) {
        spec["repeat"] = json!({ "mode": "variable", "value": var });
    }
    json!({ "kind": "GridLayoutItem", "spec": spec })
}

/// A panel as an element: a library panel by reference, else its queries (each target's fields
/// but the data source, `refId` and `hide`, which v2 keeps beside them) and its visualization.
fn element_of(p: &Value, id: i64) -> Value {
    let title = p.get("title").cloned().unwrap_or(json!(""));
    if let Some(lib) = p.get("libraryPanel") {
        return json!({ "kind": "LibraryPanel", "spec": { "id": id, "title": title, "libraryPanel": lib } });
    }
    let panel_ds = p.get("datasource");
    let queries: Vec<Value> = p
        .get("targets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            let ds = t.get("datasource").or(panel_ds);
            let mut spec = t.as_object().cloned().unwrap_or_default();
            for k in ["datasource", "refId", "hide"] {
                spec.remove(k);
            }
            let mut query = json!({ "kind": "DataQuery", "version": "v0",
                "group": ds.and_then(|d| d.get("type")).cloned().unwrap_or(json!("prometheus")), "spec": spec });
            if let Some(uid) = ds.and_then(|d| d.get("uid").or(Some(d))).and_then(Value::as_str) {
                query["datasource"] = json!({ "name": uid });
            }
            json!({ "kind": "PanelQuery", "spec": { "refId": t.get("refId").cloned().unwrap_or(json!("A")),
                "hidden": t.get("hide").and_then(Value::as_bool).unwrap_or(false), "query": query } })
        })
        .collect();
    json!({ "kind": "Panel", "spec": {
        "id": id, "title": title, "description": p.get("description").cloned().unwrap_or(json!("")), "links": [],
        "data": { "kind": "QueryGroup", "spec": { "queries": queries, "transformations": [], "queryOptions": {} } },
        "vizConfig": { "kind": "VizConfig", "group": p.get("type").cloned().unwrap_or(json!("timeseries")), "version": "",
            "spec": { "options": p.get("options").cloned().unwrap_or(json!({})),
                "fieldConfig": p.get("fieldConfig").cloned().unwrap_or(json!({ "defaults": {}, "overrides": [] })) } } } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_collapsed_rows_and_repeats_keep_their_panels_and_queries() {
        let v1 = json!({ "uid": "u", "title": "T", "panels": [
            { "id": 1, "type": "text", "title": "before any row", "gridPos": { "x": 0, "y": 0, "w": 24, "h": 2 } },
            { "id": 2, "type": "row", "title": "Open" },
            { "id": 3, "type": "timeseries", "title": "lag", "repeat": "stream", "datasource": { "type": "prometheus", "uid": "${datasource}" },
              "targets": [{ "refId": "A", "expr": "sum(x)" }, { "refId": "B", "expr": "y", "hide": true, "datasource": "Prometheus" }] },
            { "id": 4, "type": "row", "title": "Closed", "collapsed": true, "panels": [
                { "id": 5, "type": "timeseries", "title": "inside", "targets": [{ "expr": "z" }] } ] },
            { "id": 6, "type": "timeseries", "libraryPanel": { "uid": "lib", "name": "Shared" }, "title": "shared" }
        ] });
        let v2 = to_v2(&v1);
        let rows = v2["layout"]["spec"]["rows"].as_array().unwrap();
        let names = |r: &Value| -> Vec<String> {
            r["spec"]["layout"]["spec"]["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["spec"]["element"]["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            rows.iter().map(names).collect::<Vec<_>>(),
            [vec!["panel-1"], vec!["panel-3"], vec!["panel-5", "panel-6"]]
        );
        assert_eq!(
            (rows[0]["spec"]["hideHeader"].clone(), rows[2]["spec"]["collapse"].clone()),
            (json!(true), json!(true))
        );
        assert_eq!(
            rows[1]["spec"]["layout"]["spec"]["items"][0]["spec"]["repeat"],
            json!({ "mode": "variable", "value": "stream" })
        );
        let q = &v2["elements"]["panel-3"]["spec"]["data"]["spec"]["queries"];
        assert_eq!(
            (q[0]["spec"]["query"]["spec"]["expr"].clone(), q[0]["spec"]["query"]["datasource"]["name"].clone()),
            (json!("sum(x)"), json!("${datasource}"))
        );
        assert_eq!(
            (q[1]["spec"]["hidden"].clone(), q[1]["spec"]["query"]["datasource"]["name"].clone()),
            (json!(true), json!("Prometheus"))
        );
        assert_eq!(v2["elements"]["panel-6"]["kind"], "LibraryPanel");
        // Without rows: one grid.
        assert_eq!(to_v2(&json!({ "panels": [{ "id": 9 }] }))["layout"]["kind"], "GridLayout");
        // What the APIs answer: the stored v2, or the v1 form with its conversion status; the 406's words.
        let stored = stored_version("13.2.3");
        assert_eq!((stored, stored_version("12.4.10")), ("v2", "v2beta1"));
        let at = |version: &str| resource(&v1, version, 2, stored).unwrap();
        assert_eq!(
            (at("v2")["metadata"]["namespace"].clone(), at("v2")["status"].clone()),
            (json!("org-2"), json!({}))
        );
        assert_eq!(
            (at("v2beta1")["spec"].clone(), at("v2beta1")["apiVersion"].clone()),
            (v2.clone(), json!("dashboard.grafana.app/v2beta1"))
        );
        assert_eq!(at("v2beta1")["status"]["conversion"]["storedVersion"], "v2");
        for v1_version in ["v0alpha1", "v1beta1", "v1"] {
            assert_eq!(at(v1_version)["spec"], v1);
            assert_eq!(at(v1_version)["status"]["conversion"], json!({ "failed": false, "storedVersion": "v2" }));
        }
        assert!(resource(&v1, "v2alpha1", 1, stored).is_none() && resource(&v1, "v9", 1, stored).is_none());
        assert!(legacy_refusal("u", 1, stored)["message"]
            .as_str()
            .unwrap()
            .contains("/apis/dashboard.grafana.app/v2/namespaces/default/dashboards/u instead"));
    }
}
