//! Component tests of the panel in headless Chromium (wasm-bindgen-test).
//!
//! The host's request function (Grafana's `backendSrv` in production) is a scripted stand-in:
//! these tests are about the components; `tests/e2e` drives the built panel against the real
//! backend through the dev host's `backendSrv`.

#![cfg(target_arch = "wasm32")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use codexflow_panel::mount;
use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, KeyboardEvent, KeyboardEventInit, MouseEvent, MouseEventInit};

wasm_bindgen_test_configure!(run_in_browser);

const FIXTURE: &str = include_str!("fixtures/evaluate.json");
const METRICS: &str = r#"{"stage":"kafka","stepMs":60000,"panels":[
  {"panelId":1,"title":"Kafka Completions Ingest Rate","unit":"msg/s","series":[{"refId":"A","legend":"messages/sec","labels":{},"points":[{"t":1795780800000,"v":1},{"t":1795780860000,"v":3}]}]},
  {"panelId":2,"title":"Kafka Completions Consumer Lag","unit":"messages","series":[]}]}"#;

/// Scripts the host's request function: answers by path suffix from `window.__cf`, counting calls.
fn stub_fetch(status: u16, evaluate: &str, hang: bool) {
    let window = web_sys::window().unwrap();
    let config = js_sys::Object::new();
    Reflect::set(&config, &"status".into(), &JsValue::from(status)).unwrap();
    Reflect::set(&config, &"evaluate".into(), &JsValue::from_str(evaluate)).unwrap();
    Reflect::set(&config, &"metrics".into(), &JsValue::from_str(METRICS)).unwrap();
    Reflect::set(&config, &"hang".into(), &JsValue::from(hang)).unwrap();
    Reflect::set(&config, &"calls".into(), &js_sys::Array::new()).unwrap();
    Reflect::set(&window, &"__cf".into(), &config).unwrap();
}

/// The host's `request(method, url, body, signal)`, answering from `window.__cf`.
fn request() -> Function {
    Function::new_with_args(
        "method, url, body, signal",
        "const c = window.__cf; c.calls.push(url);
         if (c.hang) return new Promise(() => {});
         const metrics = String(url).endsWith('/v1/stage-metrics');
         return Promise.resolve({ status: metrics ? 200 : c.status, body: metrics ? c.metrics : c.evaluate });",
    )
}

fn calls() -> u32 {
    let config = Reflect::get(&web_sys::window().unwrap(), &"__cf".into()).unwrap();
    Reflect::get(&config, &"calls".into()).unwrap().unchecked_into::<js_sys::Array>().length()
}

fn props(width: f64, height: f64) -> String {
    props_at(width, height, 1_795_780_980_000, 0)
}

/// The props with the window ending at `to` and the dashboard refreshed `refresh` times.
fn props_at(width: f64, height: f64, to: i64, refresh: u64) -> String {
    // HostProps' list: panel id, size, window, refresh, resources, options, theme, time zone, dashboard.
    format!(
        r##"[7, {width}, {height}, 1795780800000, {to}, {refresh}, "/api/plugins/proompteng-codexflow-app/resources",
            ["kafka=1,2; nats=3,4,5", true, true, "lr", "", ""],
            [true, "#73BF69", "#FF9830", "#F2495C", "#8E8E8E", "#CCCCDC", "#8E8E9E", "#181B1F", "#22252B", "#34373D", "#6E9FFF"],
            "utc", null]"##
    )
}

fn host() -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let el = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&el).unwrap();
    el
}

/// How long a wait for the panel to render may last. Rendering is a few milliseconds; this is a
/// hang detector for a debug build on a busy machine, and a wait returns as soon as it holds.
const WAIT_MS: f64 = 20_000.0;

/// Polls `cond` every 10 ms for up to `WAIT_MS` of the clock (never a fixed sleep); whether it came true.
async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = js_sys::Date::now() + WAIT_MS;
    while js_sys::Date::now() < deadline {
        if cond() {
            return true;
        }
        gloo_timers::future::TimeoutFuture::new(10).await;
    }
    cond()
}

/// Polls the DOM until `selector` matches under `root` (never a fixed sleep).
async fn wait_for(root: &Element, selector: &str) -> Element {
    let mut found = None;
    eventually(|| {
        found = root.query_selector(selector).ok().flatten();
        found.is_some()
    })
    .await;
    found.unwrap_or_else(|| {
        panic!("{selector} did not appear; DOM: {}", root.inner_html().chars().take(2000).collect::<String>())
    })
}

async fn wait_gone(root: &Element, selector: &str) {
    assert!(eventually(|| root.query_selector(selector).ok().flatten().is_none()).await, "{selector} did not go away");
}

fn attr(el: &Element, name: &str) -> String {
    el.get_attribute(name).unwrap_or_default()
}

fn key(el: &Element, key: &str) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    el.dispatch_event(&KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap()).unwrap();
}

#[wasm_bindgen_test]
async fn every_status_has_colour_icon_and_word() {
    stub_fetch(200, FIXTURE, false);
    let root = host();
    let mut handle = mount(root.clone(), &props(1200.0, 400.0), None, request(), None, None, None).unwrap();
    for (id, status, icon) in
        [("kafka", "critical", "✕"), ("nats", "ok", "✓"), ("jangar", "nodata", "?"), ("sse", "warning", "!")]
    {
        let stage = wait_for(&root, &format!("[data-testid=codex-flow-stage-{id}]")).await;
        assert_eq!(attr(&stage, "data-status"), status);
        let text = stage.text_content().unwrap_or_default();
        assert!(text.contains(icon) && text.contains(status), "{id}: {text}");
        assert_eq!(attr(&stage, "role"), "button");
        assert_eq!(attr(&stage, "tabindex"), "0");
        assert!(attr(&stage, "aria-label").contains(status));
    }
    let kafka = wait_for(&root, "[data-testid=codex-flow-stage-kafka]").await;
    assert!(kafka.text_content().unwrap().contains("lag 1.5K"));
    assert!(kafka.query_selector(".cf-spark svg").unwrap().is_some(), "sparkline drawn by plotters");
    assert!(root.text_content().unwrap().contains("10.5 msg/s"), "edge throughput");
    assert_eq!(attr(&wait_for(&root, "[data-testid=codex-flow-panel]").await, "data-state"), "ready");
    handle.unmount();
}

#[wasm_bindgen_test]
async fn loading_error_retry_and_unconfigured_states() {
    stub_fetch(200, FIXTURE, true);
    let root = host();
    let mut handle = mount(root.clone(), &props(800.0, 300.0), None, request(), None, None, None).unwrap();
    let panel = wait_for(&root, "[data-testid=codex-flow-panel]").await;
    assert_eq!(attr(&panel, "data-state"), "loading");
    assert!(panel.text_content().unwrap().contains("Loading pipeline health"));
    handle.unmount();

    stub_fetch(500, r#"{"code":"internal","error":"boom from the backend"}"#, false);
    let root = host();
    let mut handle = mount(root.clone(), &props(800.0, 300.0), None, request(), None, None, None).unwrap();
    let button = wait_for(&root, ".cf-error button").await;
    assert!(root.text_content().unwrap().contains("boom from the backend"));
    let before = calls();
    button.unchecked_ref::<HtmlElement>().click();
    eventually(|| calls() > before).await;
    assert!(calls() > before, "Retry fetches again");
    handle.unmount();

    stub_fetch(
        503,
        r#"{"code":"settings","error":"jsonData.prometheusUrl: is required","field":"jsonData.prometheusUrl"}"#,
        false,
    );
    let root = host();
    let mut handle = mount(root.clone(), &props(800.0, 300.0), None, request(), None, None, None).unwrap();
    wait_for(&root, "[data-state=unconfigured]").await;
    let text = root.text_content().unwrap();
    assert!(text.contains("not configured") && text.contains("prometheusUrl"), "{text}");
    handle.unmount();

    stub_fetch(200, "this is not json", false);
    let root = host();
    let mut handle = mount(root.clone(), &props(800.0, 300.0), None, request(), None, None, None).unwrap();
    wait_for(&root, "[data-state=error]").await;
    handle.unmount();
}

#[wasm_bindgen_test]
async fn click_and_keyboard_open_the_drilldown_and_escape_closes_it() {
    stub_fetch(200, FIXTURE, false);
    let root = host();
    let navigated = js_sys::Array::new();
    let navigate = Function::new_with_args("id", "this.push(id); return true;").bind0(&navigated);
    let mut handle = mount(root.clone(), &props(1200.0, 500.0), Some(navigate), request(), None, None, None).unwrap();

    let kafka = wait_for(&root, "[data-testid=codex-flow-stage-kafka]").await;
    kafka.unchecked_ref::<HtmlElement>().click();
    let drill = wait_for(&root, "[data-testid=codex-flow-drilldown]").await;
    assert_eq!(attr(&drill, "role"), "dialog");
    let link = wait_for(&root, "[data-testid=codex-flow-open-panel-2]").await;
    assert!(attr(&link, "href").contains("viewPanel=2"), "{}", attr(&link, "href"));
    wait_for(&root, "[data-testid=codex-flow-open-panel-1]").await;
    wait_for(&root, ".cf-chart svg").await; // the raw series, drawn by plotters
    assert!(root.text_content().unwrap().contains("Kafka Completions Ingest Rate"));
    let queue = wait_for(&root, "[data-testid=codex-flow-queue]").await.text_content().unwrap();
    assert!(queue.contains("Consumer STALL") && queue.contains("Not draining"), "{queue}");
    link.unchecked_ref::<HtmlElement>().click();
    assert_eq!(navigated.length(), 1, "the host's navigation gets the panel id");
    assert_eq!(navigated.get(0).as_f64(), Some(2.0));

    key(&drill, "Escape");
    wait_gone(&root, "[data-testid=codex-flow-drilldown]").await;
    let document = web_sys::window().unwrap().document().unwrap();
    assert_eq!(
        document.active_element().map(|e| attr(&e, "data-testid")),
        Some("codex-flow-stage-kafka".into()),
        "focus returns to the stage"
    );

    // Keyboard only: Enter and Space on a focused stage, the close button.
    let nats = wait_for(&root, "[data-testid=codex-flow-stage-nats]").await;
    nats.unchecked_ref::<HtmlElement>().focus().unwrap();
    key(&nats, "Enter");
    wait_for(&root, "[data-testid=codex-flow-drilldown][data-stage=nats]").await;
    wait_for(&root, "[data-testid=codex-flow-open-panel-5]").await;
    wait_for(&root, ".cf-drill-head button[aria-label^=Close]").await.unchecked_ref::<HtmlElement>().click();
    wait_gone(&root, "[data-testid=codex-flow-drilldown]").await;
    key(&nats, " ");
    wait_for(&root, "[data-testid=codex-flow-drilldown]").await;
    handle.unmount();
}

#[wasm_bindgen_test]
async fn hover_tooltip_and_time_travel_on_the_strip() {
    stub_fetch(200, FIXTURE, false);
    let root = host();
    let mut handle = mount(root.clone(), &props(1200.0, 500.0), None, request(), None, None, None).unwrap();
    let kafka = wait_for(&root, "[data-testid=codex-flow-stage-kafka]").await;
    kafka.dispatch_event(&MouseEvent::new("mouseenter").unwrap()).unwrap();
    let tip = wait_for(&root, "[role=tooltip]").await;
    let text = tip.text_content().unwrap();
    assert!(
        text.contains("CodexKafkaCompletionsLagHigh") && text.contains("firing") && text.contains("since 12:01"),
        "{text}"
    );
    assert!(
        text.contains("Growing by 2.2/s over the last 10m") && text.contains("Consumer STALL"),
        "the queue's picture: {text}"
    );
    let line = wait_for(&root, "[data-testid=codex-flow-insight-kafka]").await;
    assert_eq!(line.text_content().unwrap(), "consumer stalled");
    assert!(attr(&kafka, "aria-label").contains("consumer stalled"), "{}", attr(&kafka, "aria-label"));

    // The strip spans 4 ticks; the pointer at the first quarter shows the pipeline at tick 0.
    let strip = wait_for(&root, "[data-testid=codex-flow-strip-kafka] svg").await;
    let rect = strip.get_bounding_client_rect();
    let init = MouseEventInit::new();
    init.set_client_x((rect.left() + rect.width() * 0.1) as i32);
    init.set_client_y((rect.top() + 2.0) as i32);
    init.set_bubbles(true);
    strip.dispatch_event(&MouseEvent::new_with_mouse_event_init_dict("mousemove", &init).unwrap()).unwrap();
    eventually(|| attr(&kafka, "data-status") == "ok").await;
    assert_eq!(attr(&kafka, "data-status"), "ok", "tick 0: kafka was healthy");
    assert!(kafka.text_content().unwrap().contains("lag 210"));
    assert!(
        root.query_selector("[data-testid=codex-flow-insight-kafka]").unwrap().is_none(),
        "insight is the last tick's"
    );
    wait_for(&root, ".cf-travel").await;
    let strips = wait_for(&root, ".cf-strips").await;
    strips.dispatch_event(&MouseEvent::new("mouseleave").unwrap()).unwrap();
    wait_gone(&root, ".cf-travel").await;
    assert_eq!(attr(&kafka, "data-status"), "critical", "back to now");
    handle.unmount();
}

/// The fixture with `extra` more stages (copies of its first, `s0`, `s1`, …) after its own four.
fn with_stages(extra: usize) -> String {
    let mut answer: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    let stages = answer["stages"].as_array_mut().unwrap();
    let first = stages[0].clone();
    for i in 0..extra {
        let mut stage = first.clone();
        stage["id"] = serde_json::Value::String(format!("s{i}"));
        stage["name"] = serde_json::Value::String(format!("Stage {i}"));
        stages.push(stage);
    }
    serde_json::to_string(&answer).unwrap()
}

#[wasm_bindgen_test]
async fn the_strips_build_the_rows_in_view_and_follow_the_scroll() {
    // 64 stages: their rows are 896 px, the strips a third of an 800 px panel.
    stub_fetch(200, &with_stages(60), false);
    let root = host();
    let mut handle = mount(root.clone(), &props(1200.0, 800.0), None, request(), None, None, None).unwrap();
    let list = wait_for(&root, ".cf-strip-rows").await;
    let built = |root: &Element| root.query_selector_all(".cf-strip-row").unwrap().length();
    let shown = |root: &Element, id: &str| {
        root.query_selector(&format!("[data-testid=codex-flow-strip-{id}]")).unwrap().is_some()
    };
    wait_for(&root, "[data-testid=codex-flow-strip-kafka]").await;
    let first_built = built(&root);
    assert!(first_built > 10 && first_built < 30, "only the rows in view are built: {first_built} of 64");
    assert!(!shown(&root, "s59"), "the last row is not built before it is scrolled to");
    // The list keeps the height of every row, so the scrollbar is the whole list's.
    assert!(list.scroll_height() >= 64 * 14, "the list is {} px tall", list.scroll_height());

    // To the bottom: the last rows are built, the first ones are not, as many as before.
    list.set_scroll_top(list.scroll_height());
    list.dispatch_event(&web_sys::Event::new("scroll").unwrap()).unwrap();
    assert!(eventually(|| shown(&root, "s59")).await, "the last row appears at the bottom");
    assert!(!shown(&root, "kafka"), "the first row is no longer built");
    assert!(built(&root) <= first_built, "{} rows built at the bottom", built(&root));
    // The last row lies inside the scrolled list, not below it.
    let last = root.query_selector("[data-testid=codex-flow-strip-s59]").unwrap().unwrap().get_bounding_client_rect();
    let view = list.get_bounding_client_rect();
    assert!(
        last.bottom() <= view.bottom() + 1.0 && last.top() >= view.top(),
        "last row {}..{} in the list {}..{}",
        last.top(),
        last.bottom(),
        view.top(),
        view.bottom()
    );

    // And back to the top.
    list.set_scroll_top(0);
    list.dispatch_event(&web_sys::Event::new("scroll").unwrap()).unwrap();
    assert!(
        eventually(|| shown(&root, "kafka") && !shown(&root, "s59")).await,
        "back at the top, the first rows again"
    );
    handle.unmount();
}

#[wasm_bindgen_test]
async fn resize_relays_out_and_small_tiles_are_compact() {
    stub_fetch(200, FIXTURE, false);
    let root = host();
    let mut handle = mount(root.clone(), &props(1200.0, 400.0), None, request(), None, None, None).unwrap();
    let sse = wait_for(&root, "[data-testid=codex-flow-stage-sse]").await;
    let wide = sse.unchecked_ref::<HtmlElement>().style().get_property_value("left").unwrap();
    handle.update(&props(500.0, 120.0)).unwrap();
    eventually(|| sse.unchecked_ref::<HtmlElement>().style().get_property_value("left").unwrap() != wide).await;
    let narrow = sse.unchecked_ref::<HtmlElement>().style().get_property_value("left").unwrap();
    assert_ne!(wide, narrow);
    assert!(root.query_selector(".cf-compact").unwrap().is_some(), "a small tile is compact");
    assert!(root.query_selector(".cf-strips").unwrap().is_none(), "no strip in a 120px tile");
    handle.unmount();
}

#[wasm_bindgen_test]
async fn two_panels_do_not_share_ids_and_unmount_cleans_up() {
    stub_fetch(200, FIXTURE, false);
    let (a, b) = (host(), host());
    let mut ha = mount(a.clone(), &props(900.0, 300.0), None, request(), None, None, None).unwrap();
    let mut hb = mount(b.clone(), &props(900.0, 300.0), None, request(), None, None, None).unwrap();
    let ma = wait_for(&a, "marker").await;
    let mb = wait_for(&b, "marker").await;
    assert_ne!(attr(&ma, "id"), attr(&mb, "id"));
    ha.unmount();
    // Yew tears down on its scheduler; poll rather than sleep.
    eventually(|| a.child_element_count() == 0).await;
    assert_eq!(a.child_element_count(), 0, "unmount removes the app");
    assert!(b.query_selector("[data-testid=codex-flow-stage-kafka]").unwrap().is_some(), "the other panel lives on");
    hb.unmount();
    assert!(hb.update(&props(900.0, 300.0)).is_err(), "update after unmount is refused, not a crash");
}

/// Counts the bytes allocated and not yet freed, by everything in this test binary (the panel
/// included), so a leak of even a few bytes per render shows over a thousand renders.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, size) };
        if !q.is_null() {
            LIVE_BYTES.fetch_add(size as isize - layout.size() as isize, Ordering::Relaxed);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Lets the scheduler go idle and has the browser collect its garbage, twice: Rust memory that JS
/// objects own (wasm-bindgen frees it from a `FinalizationRegistry` callback) is otherwise freed
/// whenever V8's collector happens to run, which on a loaded machine is after the count. Chromium
/// exposes `gc()` with `--js-flags=--expose-gc` (`webdriver.json`); without it the count waits only.
async fn collect_garbage() -> bool {
    let gc = Reflect::get(&web_sys::window().unwrap(), &"gc".into()).ok().and_then(|f| f.dyn_into::<Function>().ok());
    for _ in 0..2 {
        gloo_timers::future::TimeoutFuture::new(20).await;
        if let Some(gc) = &gc {
            gc.call0(&JsValue::NULL).unwrap();
        }
    }
    gloo_timers::future::TimeoutFuture::new(20).await;
    gc.is_some()
}

#[wasm_bindgen_test]
async fn a_thousand_rerenders_leak_neither_memory_nor_nodes() {
    stub_fetch(200, FIXTURE, false);
    let root = host();
    let mut handle = mount(root.clone(), &props(1000.0, 400.0), None, request(), None, None, None).unwrap();
    wait_for(&root, "[data-testid=codex-flow-stage-kafka]").await;
    let nodes = || root.get_elements_by_tag_name("*").length();
    let render = |handle: &mut codexflow_panel::PanelHandle, i: usize| {
        handle.update(&props(1000.0 + (i % 7) as f64, 400.0 + (i % 3) as f64)).unwrap()
    };
    // Settle: every size of the cycle rendered once, the scheduler idle.
    for i in 0..21 {
        render(&mut handle, i);
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
    render(&mut handle, 0);
    // Six batches of 1000 re-renders, each ending at the first props. A leak of a byte a render
    // grows the live bytes by 1000 in every batch; what Yew, wasm-bindgen or the browser keeps for
    // reuse (a queue's capacity, grown when the loaded machine happened to batch renders or collect
    // late) grows a few times and stays (measured: 0 in most batches, a one-off 2, 3, 12 or 15 KB in
    // some, twice in three batches once on a loaded CI machine). So at least half must stay flat.
    assert!(collect_garbage().await, "gc() is exposed (webdriver.json)");
    let nodes_before = nodes();
    let mut live = vec![LIVE_BYTES.load(Ordering::Relaxed)];
    const BATCHES: usize = 6;
    for batch in 0..BATCHES {
        for i in 1..=1000 {
            render(&mut handle, batch * 1000 + i);
            // Yew renders on a microtask and merges updates made before it runs: let each one render.
            wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&JsValue::NULL)).await.unwrap();
        }
        render(&mut handle, 0);
        collect_garbage().await;
        live.push(LIVE_BYTES.load(Ordering::Relaxed));
        assert_eq!(nodes(), nodes_before, "DOM nodes after {} re-renders", (batch + 1) * 1000);
    }
    let grew = live.windows(2).filter(|w| w[1] >= w[0] + 1000).count();
    assert!(
        grew <= BATCHES / 2,
        "live bytes grew by 1000 or more in {grew} of {BATCHES} batches of 1000 re-renders: {live:?}"
    );
    handle.unmount();
}

/// Re-renders patch the DOM in place: a stage keeps its element (and the keyboard focus) through a
/// hover and a resize. (Time travel keeps it too: the strip test reads the same element before and after.)
#[wasm_bindgen_test]
async fn stage_elements_survive_rerenders() {
    stub_fetch(200, FIXTURE, false);
    let root = host();
    let mut handle = mount(root.clone(), &props(1200.0, 500.0), None, request(), None, None, None).unwrap();
    let kafka = wait_for(&root, "[data-testid=codex-flow-stage-kafka]").await;
    kafka.unchecked_ref::<HtmlElement>().focus().unwrap();
    kafka.dispatch_event(&MouseEvent::new("mouseenter").unwrap()).unwrap();
    wait_for(&root, "[role=tooltip]").await;
    assert!(kafka.is_connected(), "hover replaced the stage element");
    handle.update(&props(1100.0, 450.0)).unwrap();
    gloo_timers::future::TimeoutFuture::new(20).await;
    assert!(kafka.is_connected(), "a resize replaced the stage element");
    let document = web_sys::window().unwrap().document().unwrap();
    assert_eq!(
        document.active_element().map(|e| attr(&e, "data-testid")),
        Some("codex-flow-stage-kafka".into()),
        "focus kept"
    );
    handle.unmount();
}

/// The dashboard's refresh (button or auto-refresh) bumps `refresh`; a new time range refetches too.
#[wasm_bindgen_test]
async fn refresh_and_time_range_changes_fetch_again() {
    stub_fetch(200, FIXTURE, false);
    let root = host();
    let mut handle = mount(root.clone(), &props(900.0, 300.0), None, request(), None, None, None).unwrap();
    wait_for(&root, "[data-testid=codex-flow-stage-kafka]").await;
    let evaluations = || {
        let config = Reflect::get(&web_sys::window().unwrap(), &"__cf".into()).unwrap();
        let calls = Reflect::get(&config, &"calls".into()).unwrap().unchecked_into::<js_sys::Array>();
        calls.iter().filter(|c| c.as_string().is_some_and(|u| u.ends_with("/v1/evaluate"))).count()
    };
    let before = evaluations();
    handle.update(&props_at(900.0, 300.0, 1_795_780_980_000, 1)).unwrap();
    eventually(|| evaluations() > before).await;
    assert_eq!(evaluations(), before + 1, "a refresh fetches once");
    handle.update(&props_at(900.0, 300.0, 1_795_781_040_000, 1)).unwrap();
    eventually(|| evaluations() > before + 1).await;
    assert_eq!(evaluations(), before + 2, "a new time range fetches once");
    // A resize alone does not refetch.
    handle.update(&props_at(700.0, 300.0, 1_795_781_040_000, 1)).unwrap();
    gloo_timers::future::TimeoutFuture::new(30).await;
    assert_eq!(evaluations(), before + 2);
    handle.unmount();
}

#[wasm_bindgen_test]
async fn an_empty_pipeline_says_so() {
    let empty = r#"{"from":0,"to":60000,"intervalMs":60000,"ticks":[0,60000],"stages":[],"edges":[],"source":{"source":"builtin","why":"no rules are configured"},"rules":[],"alerts":[]}"#;
    stub_fetch(200, empty, false);
    let root = host();
    let mut handle = mount(root.clone(), &props(600.0, 200.0), None, request(), None, None, None).unwrap();
    wait_for(&root, "[data-state=ready] .cf-message").await;
    assert!(root.text_content().unwrap().contains("The pipeline has no stages"));
    handle.unmount();
}

#[wasm_bindgen_test]
async fn a_stage_whose_alerts_are_silenced_looks_calmer_and_says_who_and_until_when() {
    let words = "silenced by alice until 2026-12-01 22:00 UTC: draining after the deploy";
    let silenced = FIXTURE
        .replacen(r#""id": "kafka","#, r#""id": "kafka", "suppressed": true,"#, 1)
        // The first alert listed is the stage's firing one.
        .replacen(
            r#""name": "CodexKafkaCompletionsLagHigh","#,
            &format!(r#""name": "CodexKafkaCompletionsLagHigh", "heldBack": "{words}","#),
            1,
        );
    stub_fetch(200, &silenced, false);
    let root = host();
    let mut handle = mount(root.clone(), &props(1200.0, 500.0), None, request(), None, None, None).unwrap();
    let kafka = wait_for(&root, "[data-testid=codex-flow-stage-kafka][data-suppressed]").await;
    assert_eq!(attr(&kafka, "data-status"), "critical", "the status stays what the alerts say");
    assert!(kafka.text_content().unwrap().contains("critical · silenced"), "{}", kafka.text_content().unwrap());
    assert!(attr(&kafka, "aria-label").contains("critical (silenced)"), "{}", attr(&kafka, "aria-label"));
    kafka.dispatch_event(&MouseEvent::new("mouseenter").unwrap()).unwrap();
    let tip = wait_for(&root, "[role=tooltip]").await.text_content().unwrap();
    assert!(tip.contains(words), "{tip}");
    kafka.unchecked_ref::<HtmlElement>().click();
    let note = wait_for(&root, "[data-testid=codex-flow-silence]").await.text_content().unwrap();
    assert!(note.contains(words), "{note}");
    assert!(root.query_selector("[data-testid=codex-flow-stage-nats][data-suppressed]").unwrap().is_none());
    handle.unmount();
}

#[wasm_bindgen_test]
async fn the_drilldown_charts_have_a_crosshair_for_the_pointer_and_the_keys() {
    stub_fetch(200, FIXTURE, false);
    let root = host();
    let mut handle = mount(root.clone(), &props(1200.0, 500.0), None, request(), None, None, None).unwrap();
    wait_for(&root, "[data-testid=codex-flow-stage-kafka]").await.unchecked_ref::<HtmlElement>().click();
    let drill = wait_for(&root, "[data-testid=codex-flow-drilldown]").await;
    let svg = wait_for(&root, ".cf-chart svg").await;
    let chart = svg.closest(".cf-chart").unwrap().unwrap();
    // The Ingest Rate chart: samples 1 and 3 msg/s at 0 s and 60 s of a 180 s window.
    let point_at = |fraction: f64| {
        let rect = svg.get_bounding_client_rect();
        let init = MouseEventInit::new();
        init.set_client_x((rect.left() + 2.0 + fraction * (rect.width() - 4.0)).round() as i32);
        init.set_client_y((rect.top() + 10.0) as i32);
        init.set_bubbles(true);
        svg.dispatch_event(&MouseEvent::new_with_mouse_event_init_dict("mousemove", &init).unwrap()).unwrap();
    };
    let hover = |root: &Element| {
        root.query_selector("[data-testid=codex-flow-crosshair]").unwrap().map(|e| e.text_content().unwrap())
    };
    point_at(0.1);
    wait_for(&root, "[data-testid=codex-flow-crosshair]").await;
    assert!(hover(&root).unwrap().contains("messages/sec: 1 msg/s"), "{:?}", hover(&root));
    assert!(hover(&root).unwrap().contains("12:00:00"), "the sample's instant, to the second: {:?}", hover(&root));
    // 72 s in: the nearest sample is the one at 60 s.
    point_at(0.4);
    assert!(
        eventually(|| hover(&root).is_some_and(|t| t.contains("messages/sec: 3 msg/s"))).await,
        "{:?}",
        hover(&root)
    );
    assert!(root.query_selector(".cf-crosshair").unwrap().is_some(), "the line at the cursor");
    // Off the chart (onto its title), the crosshair goes.
    let init = MouseEventInit::new();
    init.set_bubbles(true);
    let title = chart.parent_element().unwrap().query_selector("h4").unwrap().unwrap();
    title.dispatch_event(&MouseEvent::new_with_mouse_event_init_dict("mousemove", &init).unwrap()).unwrap();
    wait_gone(&root, "[data-testid=codex-flow-crosshair]").await;

    // Keys: the chart takes focus, the arrows walk the samples, Escape clears the crosshair first
    // and closes the drill-down only after.
    chart.unchecked_ref::<HtmlElement>().focus().unwrap();
    key(&chart, "ArrowLeft");
    assert!(
        eventually(|| hover(&root).is_some_and(|t| t.contains("messages/sec: 1 msg/s"))).await,
        "{:?}",
        hover(&root)
    );
    key(&chart, "End");
    assert!(
        eventually(|| hover(&root).is_some_and(|t| t.contains("messages/sec: 3 msg/s"))).await,
        "{:?}",
        hover(&root)
    );
    key(&chart, "Escape");
    wait_gone(&root, "[data-testid=codex-flow-crosshair]").await;
    assert!(
        root.query_selector("[data-testid=codex-flow-drilldown]").unwrap().is_some(),
        "Escape cleared the crosshair only"
    );
    key(&drill, "Escape");
    wait_gone(&root, "[data-testid=codex-flow-drilldown]").await;
    handle.unmount();
}

/// A moment in the URL (the host's `moment`) is applied to the first answer, and nothing is written
/// to the URL before that answer says whether the moment exists.
#[wasm_bindgen_test]
async fn a_moment_from_the_url_waits_for_the_first_answer() {
    stub_fetch(200, FIXTURE, true);
    let window = web_sys::window().unwrap();
    Reflect::set(&window, &"__cfWrites".into(), &js_sys::Array::new()).unwrap();
    let moment = Function::new_with_args(
        "key, value",
        "if (value === undefined) return key === 'codexflow-7' ? '1795780860000~jangar' : undefined;
         window.__cfWrites.push(key + '=' + value);",
    );
    let writes = || {
        Reflect::get(&web_sys::window().unwrap(), &"__cfWrites".into())
            .unwrap()
            .unchecked_into::<js_sys::Array>()
            .iter()
            .filter_map(|v| v.as_string())
            .collect::<Vec<_>>()
    };
    let root = host();
    let mut handle = mount(root.clone(), &props(900.0, 300.0), None, request(), None, Some(moment), None).unwrap();
    gloo_timers::future::TimeoutFuture::new(50).await;
    assert!(writes().is_empty(), "nothing written before the first answer: {:?}", writes());
    let config = Reflect::get(&window, &"__cf".into()).unwrap();
    Reflect::set(&config, &"hang".into(), &JsValue::FALSE).unwrap();
    handle.update(&props_at(900.0, 300.0, 1_795_780_980_000, 1)).unwrap();
    let drill = wait_for(&root, "[data-testid=codex-flow-drilldown]").await;
    assert_eq!(drill.get_attribute("data-stage").as_deref(), Some("jangar"));
    wait_for(&root, "[data-testid=codex-flow-travel]").await;
    eventually(|| !writes().is_empty()).await;
    assert_eq!(writes(), vec!["codexflow-7=1795780860000~jangar".to_string()], "the moment kept as it came");
    handle.unmount();
}
