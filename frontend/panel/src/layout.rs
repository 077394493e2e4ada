//! Where each stage and edge goes, for whatever size Grafana gives the panel.
//!
//! Stages are layered by longest path from the sources (a cycle is broken at
//! the stage that appears first), ordered inside a layer by the position of
//! their predecessors, and laid out left-to-right or top-to-bottom. When the
//! layers do not fit across the panel they wrap into rows (or columns), so a
//! 200-stage pipeline still reads. Pure geometry: no DOM, tested on the host.

/// Flow direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    LeftToRight,
    TopToBottom,
}

impl Direction {
    pub fn parse(s: &str) -> Direction {
        match s.to_ascii_lowercase().as_str() {
            "tb" | "top-to-bottom" | "vertical" => Direction::TopToBottom,
            _ => Direction::LeftToRight,
        }
    }
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
pub fn layers(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges.iter().filter(|(a, b)| *a < n && *b < n && a != b) {
        out[a].push(b);
        indegree[b] += 1;
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

/// Lays out `n` stages joined by `edges` in a `width` × `height` box.
pub fn layout(n: usize, edges: &[(usize, usize)], width: f64, height: f64, direction: Direction) -> Layout {
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
        let mut keyed: Vec<(f64, usize)> = group
            .iter()
            .map(|&v| {
                let preds: Vec<f64> = edges.iter().filter(|(a, b)| *b == v && *a < n).map(|(a, _)| slot[*a]).collect();
                let key = if preds.is_empty() { v as f64 } else { preds.iter().sum::<f64>() / preds.len() as f64 };
                (key, v)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        *group = keyed.into_iter().map(|(_, v)| v).collect();
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

    let edges = edges
        .iter()
        .filter(|(a, b)| *a < n && *b < n && a != b)
        .map(|&(a, b)| edge_path(a, b, nodes[a], nodes[b], direction))
        .collect();
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

fn edge_path(from: usize, to: usize, a: Rect, b: Rect, direction: Direction) -> EdgeGeometry {
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
    EdgeGeometry { from, to, path, label_x: (sx + tx) / 2.0, label_y: (sy + ty) / 2.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlaps(a: &Rect, b: &Rect) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    fn assert_sane(l: &Layout, width: f64, height: f64) {
        for (i, a) in l.nodes.iter().enumerate() {
            assert!(a.x >= 0.0 && a.y >= 0.0, "node {i} outside: {a:?}");
            assert!(a.x + a.w <= width + 0.5 && a.y + a.h <= height + 0.5 || a.h <= 16.0 || a.w <= 24.0, "node {i} outside {width}x{height}: {a:?}");
            for b in &l.nodes[i + 1..] {
                assert!(!overlaps(a, b), "{a:?} overlaps {b:?}");
            }
        }
    }

    const CHAIN: [(usize, usize); 3] = [(0, 1), (1, 2), (2, 3)];

    #[test]
    fn the_codex_pipeline_flows_left_to_right() {
        let l = layout(4, &CHAIN, 1200.0, 220.0, Direction::LeftToRight);
        assert_sane(&l, 1200.0, 220.0);
        assert!(l.nodes.windows(2).all(|w| w[1].x - (w[0].x + w[0].w) >= 64.0), "room for an edge label: {:?}", l.nodes);
        assert!(l.nodes.iter().all(|n| (n.y - l.nodes[0].y).abs() < 1e-9));
        assert!(!l.compact);
        assert_eq!(l.edges.len(), 3);
        assert!(l.edges[0].path.starts_with('M') && l.edges[0].label_x > l.nodes[0].x + l.nodes[0].w);
    }

    #[test]
    fn top_to_bottom_stacks_vertically() {
        let l = layout(4, &CHAIN, 300.0, 800.0, Direction::TopToBottom);
        assert_sane(&l, 300.0, 800.0);
        assert!(l.nodes.windows(2).all(|w| w[0].y + w[0].h < w[1].y));
    }

    #[test]
    fn a_small_tile_is_compact_and_still_fits() {
        let l = layout(4, &CHAIN, 420.0, 90.0, Direction::LeftToRight);
        assert!(l.compact);
        assert_sane(&l, 420.0, 90.0);
    }

    #[test]
    fn long_pipelines_wrap_into_rows() {
        let n = 200;
        let edges: Vec<_> = (0..n - 1).map(|i| (i, i + 1)).collect();
        let l = layout(n, &edges, 1600.0, 900.0, Direction::LeftToRight);
        assert_sane(&l, 1600.0, 900.0);
        let rows: std::collections::BTreeSet<i64> = l.nodes.iter().map(|r| r.y.round() as i64).collect();
        assert!(rows.len() > 1, "200 stages must wrap");
    }

    #[test]
    fn fan_out_and_cycles_are_laid_out() {
        assert_eq!(layers(4, &[(0, 1), (0, 2), (1, 3), (2, 3)]), [0, 1, 1, 2]);
        assert_eq!(layers(3, &[(0, 1), (1, 2), (2, 0)]), [0, 1, 2]);
        let l = layout(4, &[(0, 1), (0, 2), (1, 3), (2, 3)], 800.0, 300.0, Direction::LeftToRight);
        assert_sane(&l, 800.0, 300.0);
        assert_eq!(l.nodes[1].x, l.nodes[2].x);
        // Out-of-range edges are ignored rather than panicking.
        assert_eq!(layout(2, &[(0, 5), (0, 1)], 400.0, 100.0, Direction::LeftToRight).edges.len(), 1);
        assert!(layout(0, &[], 100.0, 100.0, Direction::LeftToRight).nodes.is_empty());
    }

    #[test]
    fn resizing_moves_everything() {
        let small = layout(4, &CHAIN, 600.0, 150.0, Direction::LeftToRight);
        let big = layout(4, &CHAIN, 1800.0, 400.0, Direction::LeftToRight);
        assert!(big.nodes[3].x > small.nodes[3].x && big.nodes[0].h >= small.nodes[0].h);
    }
}
