//! Times in the dashboard's time zone (`browser`, `utc` or an IANA name), via Intl, as
//! `core::reason` writes them.

use codexflow_core::format::{utc_clock, utc_date};
use js_sys::{Array, Date, Function, Intl, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

#[derive(Clone)]
pub struct Clock {
    short: Option<Intl::DateTimeFormat>,
    long: Option<Intl::DateTimeFormat>,
    precise: Option<Intl::DateTimeFormat>,
}

impl PartialEq for Clock {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// `new Intl.DateTimeFormat([], options)`, or None when Intl refuses (e.g. an unknown zone).
fn format(zone: &str, with_date: bool, with_seconds: bool) -> Option<Intl::DateTimeFormat> {
    let options = Object::new();
    let set = |k: &str, v: &str| {
        let _ = Reflect::set(&options, &JsValue::from_str(k), &JsValue::from_str(v));
    };
    set("hour", "2-digit");
    set("minute", "2-digit");
    set("hourCycle", "h23");
    if with_seconds {
        set("second", "2-digit");
    }
    if with_date {
        set("month", "short");
        set("day", "numeric");
    }
    match zone {
        "" | "browser" => {}
        "utc" => set("timeZone", "UTC"),
        other => set("timeZone", other),
    }
    let intl = Reflect::get(&js_sys::global(), &JsValue::from_str("Intl")).ok()?;
    let ctor: Function = Reflect::get(&intl, &JsValue::from_str("DateTimeFormat")).ok()?.dyn_into().ok()?;
    let args = Array::of2(&Array::new(), &options);
    Reflect::construct(&ctor, &args).ok()?.dyn_into().ok()
}

impl Clock {
    pub fn new(zone: &str) -> Clock {
        // An unknown zone makes Intl throw; fall back to UTC, then to the browser's zone.
        let pick = |date, secs| {
            format(zone, date, secs).or_else(|| format("utc", date, secs)).or_else(|| format("", date, secs))
        };
        Clock { short: pick(false, false), long: pick(true, false), precise: pick(true, true) }
    }

    /// `Nov 27, 12:03:45`: a sample's instant, as Grafana's tooltips give it.
    pub fn instant(&self, ms: i64) -> String {
        render(self.precise.as_ref(), ms)
            .unwrap_or_else(|| format!("{} {}:{:02}", utc_date(ms), utc_clock(ms), ms.div_euclid(1000).rem_euclid(60)))
    }
}

impl codexflow_core::reason::Clock for Clock {
    /// `12:03`
    fn time(&self, ms: i64) -> String {
        render(self.short.as_ref(), ms).unwrap_or_else(|| utc_clock(ms))
    }

    /// `Nov 27, 12:03`
    fn date_time(&self, ms: i64) -> String {
        render(self.long.as_ref(), ms).unwrap_or_else(|| format!("{} {}", utc_date(ms), utc_clock(ms)))
    }
}

fn render(f: Option<&Intl::DateTimeFormat>, ms: i64) -> Option<String> {
    f?.format().call1(&JsValue::NULL, &Date::new(&JsValue::from_f64(ms as f64))).ok()?.as_string()
}
