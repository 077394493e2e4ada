//! Where each stage and edge goes, for whatever size Grafana gives the panel.
//!
//! Stages are layered by longest path from the sources (a cycle is broken at
//! the stage that appears first), ordered inside a layer by the position of
//! their predecessors, and laid out left-to-right or top-to-bottom. When the
//! layers do not fit across the panel they wrap into rows (or columns), so a
//! 200-stage pipeline still reads. Pure geometry: no DOM, tested on the host.

pub use codexflow_core::options::Direction;

/// An edge to draw: between stages `from` and `to` (indices of the drawn stages), known to the
/// answer as edge number `index`, so its label is looked up by that and never by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeInput {
    pub index: usize,
    pub from: usize,
    pub to: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// An edge drawn as an SVG path, with where its label goes.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeGeometry {
    /// The edge's index in the answer (`EdgeInput::index`).
    pub index: usize,
    pub from: usize,
    pub to: usize,
    pub path: String,
    pub label_x: f64,
    pub label_y: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub nodes: Vec<Rect>,
    pub edges: Vec<EdgeGeometry>,
    /// Small tiles: room for name and status only, no sparkline.
    pub compact: bool,
}

const PAD: f64 = 8.0;
/// Between layers: room for an edge label ("12.3 msg/s") beside the edge left to right, above it top to bottom.
const GAP_MAIN_LR: f64 = 72.0;
const GAP_MAIN_TB: f64 = 44.0;
const GAP_CROSS: f64 = 12.0; // between stages of one layer
const GAP_WRAP: f64 = 28.0; // between wrapped rows
const MIN_MAIN: f64 = 96.0; // narrowest stage along the flow before wrapping
const MAX_MAIN: f64 = 240.0;
const MAX_CROSS: f64 = 132.0;

/// Layer index of each stage: longest path from a source.
pub fn layers(n: usize, edges: &[EdgeInput]) -> Vec<usize> {
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in edges.iter().filter(|e| drawable(e, n)) {
        out[e.from].push(e.to);
        indegree[e.to] += 1;
    }
    let mut layer = vec![0usize; n];
    let mut done = vec![false; n];
    let mut ready: std::collections::VecDeque<usize> = (0..n).filter(|&v| indegree[v] == 0).collect();
    let mut processed = 0;
    while processed < n {
        // A cycle leaves nothing ready: release the first unfinished stage.
        let v = match ready.pop_front() {
            Some(v) => v,
            None => match (0..n).find(|&v| !done[v]) {
                Some(v) => v,
                None => break,
            },
        };
        if done[v] {
            continue;
        }
        done[v] = true;
        processed += 1;
        for &w in &out[v] {
            if done[w] {
                continue;
            }
            layer[w] = layer[w].max(layer[v] + 1);
            indegree[w] = indegree[w].saturating_sub(1);
            if indegree[w] == 0 {
                ready.push_back(w);
            }
        }
    }
    layer
}

/// Whether an edge joins two different stages that exist.
fn drawable(e: &EdgeInput, n: usize) -> bool {
    e.from < n && e.to < n && e.from != e.to
}

/// How the panel's height is shared: the diagram on top, the state strips (one row per stage) below
/// when the panel is tall enough for them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PanelSplit {
    pub diagram_h: f64,
    /// Zero when the strips are hidden.
    pub strips_h: f64,
}

/// Below this height the strips would crowd the diagram out, so they are left out.
const STRIPS_MIN_PANEL_H: f64 = 180.0;
/// A strip row's height with its margins (`.cf-strip-row`), in CSS pixels; `ui::strip` pages by it.
pub const STRIP_ROW_PX: usize = 14;
const STRIP_ROW_H: f64 = STRIP_ROW_PX as f64;
/// Below the rows: the time axis (22 px) and `.cf-strips`' vertical padding (8 px), both inside its
/// height (`border-box`); leaving out the padding cut the last row.
const STRIP_CHROME_H: f64 = 30.0;
/// The strips take at most this share of the panel.
const STRIPS_MAX_SHARE: f64 = 0.35;

pub fn split_panel(height: f64, stages: usize) -> PanelSplit {
    let strips_h = if height >= STRIPS_MIN_PANEL_H {
        (stages as f64 * STRIP_ROW_H + STRIP_CHROME_H).min(height * STRIPS_MAX_SHARE)
    } else {
        0.0
    };
    PanelSplit { diagram_h: (height - strips_h).max(40.0), strips_h }
}

/// Which of `rows` strip rows to build, `start..end`, for a list scrolled `scroll_top` pixels down in
/// strips `view_h` pixels tall: the first row at the scroll position, and as many as fit with one
/// more at each edge, never past the last.
pub fn rows_in_view(scroll_top: usize, view_h: usize, rows: usize) -> (usize, usize) {
    let start = (scroll_top / STRIP_ROW_PX).min(rows);
    (start, start.saturating_add(view_h / STRIP_ROW_PX + 2).min(rows))
}

/// Where a stage's tooltip goes: beside the stage on whichever side has room, never outside the panel.
pub fn tooltip_position(stage: &Rect, width: f64, height: f64) -> (f64, f64) {
    const TIP_W: f64 = 240.0;
    const GAP: f64 = 8.0;
    let right = stage.x + stage.w + GAP;
    let left = if right + TIP_W <= width { right } else { (stage.x - TIP_W - GAP).max(4.0) };
    (left, stage.y.min((height - 60.0).max(0.0)))
}

/// The width of a drill-down card in a panel `width` wide: as many 320px+ columns as fit.
pub fn card_width(width: f64) -> f64 {
    let columns = (((width - 20.0) / 332.0).floor() as usize).max(1);
    ((width - 20.0 - 12.0 * (columns as f64 - 1.0)) / columns as f64 - 18.0).max(120.0)
}

/// Lays out `n` stages joined by `edges` in a `width` × `height` box.
pub fn layout(n: usize, edges: &[EdgeInput], width: f64, height: f64, direction: Direction) -> Layout {
    if n == 0 {
        return Layout { nodes: Vec::new(), edges: Vec::new(), compact: true };
    }
    let (main_len, cross_len, gap_main) = match direction {
        Direction::LeftToRight => (width.max(1.0), height.max(1.0), GAP_MAIN_LR),
        Direction::TopToBottom => (height.max(1.0), width.max(1.0), GAP_MAIN_TB),
    };
    let layer_of = layers(n, edges);
    let layer_count = layer_of.iter().max().map_or(1, |m| m + 1);
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); layer_count];
    for (v, &l) in layer_of.iter().enumerate() {
        groups[l].push(v);
    }
    // Order inside a layer by the mean slot of the predecessors (one barycentre sweep).
    let mut slot = vec![0.0f64; n];
    for group in &mut groups {
        let keyed: Vec<(f64, usize)> = group
            .iter()
            .map(|&v| {
                let preds: Vec<f64> = edges.iter().filter(|e| e.to == v && e.from < n).map(|e| slot[e.from]).collect();
                let key = if preds.is_empty() { v as f64 } else { preds.iter().sum::<f64>() / preds.len() as f64 };
                (key, v)
            })
            .collect();
        // Each put in place as it comes (a layer holds at most a few hundred stages): no sort
        // routine in the `.wasm` for it.
        let mut ordered: Vec<(f64, usize)> = Vec::with_capacity(keyed.len());
        for k in keyed {
            let after = |o: &(f64, usize)| o.0.total_cmp(&k.0).then(o.1.cmp(&k.1)).is_gt();
            let at = ordered.iter().position(after).unwrap_or(ordered.len());
            ordered.insert(at, k);
        }
        *group = ordered.into_iter().map(|(_, v)| v).collect();
        for (i, &v) in group.iter().enumerate() {
            slot[v] = i as f64;
        }
    }

    let widest = groups.iter().map(Vec::len).max().unwrap_or(1);
    let usable_main = main_len - 2.0 * PAD;
    let per_row = (((usable_main + gap_main) / (MIN_MAIN + gap_main)).floor() as usize).clamp(1, layer_count);
    let rows = layer_count.div_ceil(per_row);
    let node_main = ((usable_main - gap_main * (per_row as f64 - 1.0)) / per_row as f64).clamp(24.0, MAX_MAIN);
    let band = (cross_len - 2.0 * PAD - GAP_WRAP * (rows as f64 - 1.0)) / rows as f64;
    let node_cross = ((band - GAP_CROSS * (widest as f64 - 1.0)) / widest as f64).clamp(16.0, MAX_CROSS);
    // Centre the drawing when it does not need the whole box.
    let used_main = node_main * per_row as f64 + gap_main * (per_row as f64 - 1.0);
    let offset_main = PAD + ((usable_main - used_main) / 2.0).max(0.0);

    let mut nodes = vec![Rect { x: 0.0, y: 0.0, w: 0.0, h: 0.0 }; n];
    for (l, group) in groups.iter().enumerate() {
        let (row, col) = (l / per_row, l % per_row);
        let band_start = PAD + row as f64 * (band + GAP_WRAP);
        let stack = node_cross * group.len() as f64 + GAP_CROSS * (group.len() as f64 - 1.0);
        let cross_start = band_start + ((band - stack) / 2.0).max(0.0);
        for (i, &v) in group.iter().enumerate() {
            let main = offset_main + col as f64 * (node_main + gap_main);
            let cross = cross_start + i as f64 * (node_cross + GAP_CROSS);
            nodes[v] = match direction {
                Direction::LeftToRight => Rect { x: main, y: cross, w: node_main, h: node_cross },
                Direction::TopToBottom => Rect { x: cross, y: main, w: node_cross, h: node_main },
            };
        }
    }

    let edges =
        edges.iter().filter(|e| drawable(e, n)).map(|e| edge_path(*e, nodes[e.from], nodes[e.to], direction)).collect();
    let compact = match direction {
        Direction::LeftToRight => node_cross < 64.0 || node_main < 130.0,
        Direction::TopToBottom => node_main < 64.0 || node_cross < 130.0,
    };
    Layout { nodes, edges, compact }
}

/// A coordinate to one decimal, without Rust's float formatting (see `codexflow_core::format::fixed`).
pub fn px(v: f64) -> String {
    codexflow_core::format::fixed(v, 1)
}

fn edge_path(edge: EdgeInput, a: Rect, b: Rect, direction: Direction) -> EdgeGeometry {
    let (sx, sy, tx, ty, forward) = match direction {
        Direction::LeftToRight => (a.x + a.w, a.y + a.h / 2.0, b.x, b.y + b.h / 2.0, b.x >= a.x + a.w),
        Direction::TopToBottom => (a.x + a.w / 2.0, a.y + a.h, b.x + b.w / 2.0, b.y, b.y >= a.y + a.h),
    };
    let path = if forward {
        // A smooth S between facing sides.
        match direction {
            Direction::LeftToRight => {
                let mx = (sx + tx) / 2.0;
                format!("M{},{} C{},{} {},{} {},{}", px(sx), px(sy), px(mx), px(sy), px(mx), px(ty), px(tx), px(ty))
            }
            Direction::TopToBottom => {
                let my = (sy + ty) / 2.0;
                format!("M{},{} C{},{} {},{} {},{}", px(sx), px(sy), px(sx), px(my), px(tx), px(my), px(tx), px(ty))
            }
        }
    } else {
        // Wrapped to the next row (or a back edge): leave from the far side, arrive at the near side.
        match direction {
            Direction::LeftToRight => {
                let (sx, sy) = (a.x + a.w / 2.0, a.y + a.h);
                let (tx, ty) = (b.x + b.w / 2.0, b.y);
                let my = if ty > sy { (sy + ty) / 2.0 } else { sy + 20.0 };
                format!("M{},{} C{},{} {},{} {},{}", px(sx), px(sy), px(sx), px(my), px(tx), px(my), px(tx), px(ty))
            }
            Direction::TopToBottom => {
                let (sx, sy) = (a.x + a.w, a.y + a.h / 2.0);
                let (tx, ty) = (b.x, b.y + b.h / 2.0);
                let mx = if tx > sx { (sx + tx) / 2.0 } else { sx + 20.0 };
                format!("M{},{} C{},{} {},{} {},{}", px(sx), px(sy), px(mx), px(sy), px(mx), px(ty), px(tx), px(ty))
            }
        }
    };
    EdgeGeometry {
        index: edge.index,
        from: edge.from,
        to: edge.to,
        path,
        label_x: (sx + tx) / 2.0,
        label_y: (sy + ty) / 2.0,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_strips_build_the_rows_in_view_and_one_more_at_each_edge() {
        // 200 stages in strips 350 px tall: 25 rows fit, 27 built.
        assert_eq!(rows_in_view(0, 350, 200), (0, 27));
        // Scrolled half a row: the row under the top edge is still the first.
        assert_eq!(rows_in_view(7, 350, 200), (0, 27));
        assert_eq!(rows_in_view(100 * STRIP_ROW_PX, 350, 200), (100, 127));
        // At the bottom (the list's height less the view's), the last rows, never past them.
        assert_eq!(rows_in_view(200 * STRIP_ROW_PX - 350, 350, 200), (175, 200));
        assert_eq!(rows_in_view(usize::MAX, usize::MAX, 200), (200, 200));
        assert_eq!(rows_in_view(0, 350, 0), (0, 0));
        assert_eq!(rows_in_view(0, 350, 4), (0, 4));
    }
    use super::*;

    fn overlaps(a: &Rect, b: &Rect) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    fn assert_sane(l: &Layout, width: f64, height: f64) {
        for (i, a) in l.nodes.iter().enumerate() {
            assert!(a.x >= 0.0 && a.y >= 0.0, "node {i} outside: {a:?}");
            assert!(
                a.x + a.w <= width + 0.5 && a.y + a.h <= height + 0.5 || a.h <= 16.0 || a.w <= 24.0,
                "node {i} outside {width}x{height}: {a:?}"
            );
            for b in &l.nodes[i + 1..] {
                assert!(!overlaps(a, b), "{a:?} overlaps {b:?}");
            }
        }
    }

    fn edges(pairs: &[(usize, usize)]) -> Vec<EdgeInput> {
        pairs.iter().enumerate().map(|(index, &(from, to))| EdgeInput { index, from, to }).collect()
    }

    fn chain() -> Vec<EdgeInput> {
        edges(&[(0, 1), (1, 2), (2, 3)])
    }

    #[test]
    fn the_codex_pipeline_flows_left_to_right() {
        let l = layout(4, &chain(), 1200.0, 220.0, Direction::LeftToRight);
        assert_sane(&l, 1200.0, 220.0);
        assert!(
            l.nodes.windows(2).all(|w| w[1].x - (w[0].x + w[0].w) >= 64.0),
            "room for an edge label: {:?}",
            l.nodes
        );
        assert!(l.nodes.iter().all(|n| (n.y - l.nodes[0].y).abs() < 1e-9));
        assert!(!l.compact);
        assert_eq!(l.edges.len(), 3);
        assert!(l.edges[0].path.starts_with('M') && l.edges[0].label_x > l.nodes[0].x + l.nodes[0].w);
    }

    #[test]
    fn top_to_bottom_stacks_vertically() {
        let l = layout(4, &chain(), 300.0, 800.0, Direction::TopToBottom);
        assert_sane(&l, 300.0, 800.0);
        assert!(l.nodes.windows(2).all(|w| w[0].y + w[0].h < w[1].y));
    }

    #[test]
    fn a_small_tile_is_compact_and_still_fits() {
        let l = layout(4, &chain(), 420.0, 90.0, Direction::LeftToRight);
        assert!(l.compact);
        assert_sane(&l, 420.0, 90.0);
    }

    #[test]
    fn long_pipelines_wrap_into_rows() {
        let n = 200;
        let pairs: Vec<_> = (0..n - 1).map(|i| (i, i + 1)).collect();
        let l = layout(n, &edges(&pairs), 1600.0, 900.0, Direction::LeftToRight);
        assert_sane(&l, 1600.0, 900.0);
        let rows: std::collections::BTreeSet<i64> = l.nodes.iter().map(|r| r.y.round() as i64).collect();
        assert!(rows.len() > 1, "200 stages must wrap");
    }

    #[test]
    fn fan_out_and_cycles_are_laid_out() {
        assert_eq!(layers(4, &edges(&[(0, 1), (0, 2), (1, 3), (2, 3)])), [0, 1, 1, 2]);
        assert_eq!(layers(3, &edges(&[(0, 1), (1, 2), (2, 0)])), [0, 1, 2]);
        let l = layout(4, &edges(&[(0, 1), (0, 2), (1, 3), (2, 3)]), 800.0, 300.0, Direction::LeftToRight);
        assert_sane(&l, 800.0, 300.0);
        assert_eq!(l.nodes[1].x, l.nodes[2].x);
        // Out-of-range edges are ignored rather than panicking, and the drawn one keeps its index.
        let l = layout(2, &edges(&[(0, 5), (0, 1)]), 400.0, 100.0, Direction::LeftToRight);
        assert_eq!(l.edges.iter().map(|e| e.index).collect::<Vec<_>>(), [1]);
        assert!(layout(0, &[], 100.0, 100.0, Direction::LeftToRight).nodes.is_empty());
    }

    #[test]
    fn strips_share_the_height_only_when_there_is_room() {
        let tall = split_panel(500.0, 4);
        // Every row of four stages, the axis and the padding: none cut.
        assert_eq!(tall.strips_h, 4.0 * 14.0 + 22.0 + 8.0);
        assert_eq!(tall.diagram_h + tall.strips_h, 500.0);
        assert_eq!(split_panel(120.0, 4).strips_h, 0.0);
        let many = split_panel(400.0, 200);
        assert!(many.strips_h <= 400.0 * 0.35 + 1e-9 && many.diagram_h >= 40.0);
        assert_eq!(split_panel(10.0, 4).diagram_h, 40.0, "never a zero-height diagram");
    }

    #[test]
    fn tooltips_stay_inside_and_cards_fill_columns() {
        let stage = Rect { x: 10.0, y: 20.0, w: 100.0, h: 50.0 };
        assert_eq!(tooltip_position(&stage, 800.0, 300.0), (118.0, 20.0));
        let far_right = Rect { x: 700.0, ..stage };
        let (x, _) = tooltip_position(&far_right, 800.0, 300.0);
        assert!(x + 240.0 <= 700.0, "flips to the left of the stage");
        let low = Rect { y: 290.0, ..stage };
        assert_eq!(tooltip_position(&low, 800.0, 300.0).1, 240.0);
        assert_eq!(card_width(1400.0).round(), (((1400.0 - 20.0 - 12.0 * 3.0) / 4.0) - 18.0_f64).round());
        assert_eq!(card_width(200.0), 162.0);
        assert_eq!(card_width(50.0), 120.0, "never narrower than a readable chart");
    }

    #[test]
    fn resizing_moves_everything() {
        let small = layout(4, &chain(), 600.0, 150.0, Direction::LeftToRight);
        let big = layout(4, &chain(), 1800.0, 400.0, Direction::LeftToRight);
        assert!(big.nodes[3].x > small.nodes[3].x && big.nodes[0].h >= small.nodes[0].h);
    }
}
