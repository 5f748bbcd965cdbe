//! Pictures of the graph: an SVG of the resource instances, grouped by module instance
//! inside a frame for the environment, coloured by planned action when a plan is given;
//! and the Mermaid flowchart of what a plan changes, for the Markdown plan.
//!
//! Each module instance is laid out on its own by `layout-rs` (a layered layout in
//! Rust, so no external program is needed), which guarantees that a group's box holds its
//! instances and nothing else; the groups are placed in rows, and dependencies between
//! groups are drawn as dashed curves between them. The drawing itself is ours
//! ([`Canvas`]): each instance carries its full address (`data-address`, and a `<title>`
//! that browsers show on hover) and its action (`data-action`).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::Point;
use layout::core::style::StyleAttr;
use layout::std_shapes::shapes::{Arrow, Element, ShapeKind};
use layout::topo::layout::VisualGraph;

use aic_lang::addr::{InstanceAddr, ModuleInstance};

use crate::plan::Action;

/// One resource instance in a picture.
#[derive(Debug, Clone, PartialEq)]
pub struct PictureNode {
    /// The full address, `module.region["eu-west-1"].aws_instance.web[0]`.
    pub address: String,
    /// The module instance it belongs to (`""` for the root module).
    pub group: String,
    /// The address inside its module, `aws_instance.web[0]`.
    pub label: String,
    /// What the plan does to it, when a plan was given.
    pub action: Option<Action>,
}

impl PictureNode {
    /// The node of `addr`, with `action`.
    pub fn of(addr: &InstanceAddr, action: Option<Action>) -> PictureNode {
        let inner = InstanceAddr {
            module: ModuleInstance::root(),
            ..addr.clone()
        };
        PictureNode {
            address: addr.to_string(),
            group: if addr.module.is_root() {
                String::new()
            } else {
                addr.module.to_string()
            },
            label: inner.to_string(),
            action,
        }
    }
}

/// What a picture shows: instances, and edges `(dependency, dependent)` by index.
#[derive(Debug, Clone, Default)]
pub struct Picture {
    pub title: String,
    pub nodes: Vec<PictureNode>,
    pub edges: Vec<(usize, usize)>,
}

const FONT_SIZE: usize = 14;
const GROUP_PAD: f64 = 16.0;
const GROUP_HEADER: f64 = 26.0;
const GROUP_GAP: f64 = 28.0;
const ROW_WIDTH: f64 = 1600.0;
const FRAME_PAD: f64 = 20.0;
const TITLE_HEIGHT: f64 = 34.0;

/// The colours of an action: (fill, stroke, legend text).
fn colours(action: Option<Action>) -> (&'static str, &'static str, &'static str) {
    match action {
        None => ("#ffffff", "#4a5568", "resource"),
        Some(Action::NoOp) => ("#f4f5f7", "#a0aec0", "no change"),
        Some(Action::Create) => ("#dcfce7", "#15803d", "create"),
        Some(Action::Read) => ("#dbeafe", "#1d4ed8", "read"),
        Some(Action::Update) => ("#fef9c3", "#a16207", "update in place"),
        Some(Action::Delete) => ("#fee2e2", "#b91c1c", "destroy"),
        Some(Action::DeleteThenCreate | Action::CreateThenDelete) => {
            ("#ffedd5", "#c2410c", "replace")
        }
    }
}

fn action_name(action: Option<Action>) -> &'static str {
    match action {
        None => "none",
        Some(Action::NoOp) => "no-op",
        Some(Action::Create) => "create",
        Some(Action::Read) => "read",
        Some(Action::Update) => "update",
        Some(Action::Delete) => "delete",
        Some(Action::DeleteThenCreate) => "delete-create",
        Some(Action::CreateThenDelete) => "create-delete",
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A `RenderBackend` writing SVG elements and keeping their bounding box.
struct Canvas {
    out: String,
    min: Point,
    max: Point,
    /// Full address and action of a node, by the `properties` string layout-rs hands back.
    nodes: HashMap<String, (String, Option<Action>)>,
}

impl Canvas {
    fn new() -> Canvas {
        Canvas {
            out: String::new(),
            min: Point::new(f64::MAX, f64::MAX),
            max: Point::new(f64::MIN, f64::MIN),
            nodes: HashMap::new(),
        }
    }

    fn grow(&mut self, p: Point) {
        self.min = Point::new(self.min.x.min(p.x), self.min.y.min(p.y));
        self.max = Point::new(self.max.x.max(p.x), self.max.y.max(p.y));
    }
}

impl RenderBackend for Canvas {
    fn draw_rect(
        &mut self,
        xy: Point,
        size: Point,
        _look: &StyleAttr,
        properties: Option<String>,
        _clip: Option<ClipHandle>,
    ) {
        self.grow(xy);
        self.grow(xy.add(size));
        let Some((address, action)) = properties.and_then(|p| self.nodes.get(&p).cloned()) else {
            return;
        };
        let (fill, stroke, _) = colours(action);
        let _ = writeln!(
            self.out,
            "<g class=\"node\" data-address=\"{a}\" data-action=\"{act}\"><title>{a}</title>\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"6\" \
             fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/></g>",
            xy.x,
            xy.y,
            size.x,
            size.y,
            a = escape(&address),
            act = action_name(action),
        );
    }

    fn draw_line(&mut self, start: Point, stop: Point, _: &StyleAttr, _: Option<String>) {
        self.grow(start);
        self.grow(stop);
        let _ = writeln!(
            self.out,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#718096\"/>",
            start.x, start.y, stop.x, stop.y
        );
    }

    fn draw_circle(&mut self, xy: Point, size: Point, _: &StyleAttr, _: Option<String>) {
        self.grow(xy);
        let _ = writeln!(
            self.out,
            "<ellipse cx=\"{:.1}\" cy=\"{:.1}\" rx=\"{:.1}\" ry=\"{:.1}\" fill=\"none\" stroke=\"#718096\"/>",
            xy.x,
            xy.y,
            size.x / 2.0,
            size.y / 2.0
        );
    }

    fn draw_text(&mut self, xy: Point, text: &str, _: &StyleAttr) {
        if text.is_empty() {
            return;
        }
        let _ = writeln!(
            self.out,
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"label\">{}</text>",
            xy.x,
            xy.y,
            escape(text)
        );
    }

    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        _dashed: bool,
        head: (bool, bool),
        _: &StyleAttr,
        _: Option<String>,
        _: &str,
    ) {
        // layout-rs's path: the first pair is a point and its exit control point, each
        // following pair a control point and the point it enters.
        let (Some(first), Some(second)) = (path.first(), path.get(1)) else {
            return;
        };
        for p in path {
            self.grow(p.0);
            self.grow(p.1);
        }
        let mut d = format!(
            "M {:.1} {:.1} C {:.1} {:.1}, {:.1} {:.1}, {:.1} {:.1}",
            first.0.x,
            first.0.y,
            first.1.x,
            first.1.y,
            second.0.x,
            second.0.y,
            second.1.x,
            second.1.y
        );
        for p in &path[2..] {
            let _ = write!(d, " S {:.1} {:.1}, {:.1} {:.1}", p.0.x, p.0.y, p.1.x, p.1.y);
        }
        let marker = if head.1 {
            " marker-end=\"url(#arrow)\""
        } else {
            ""
        };
        let _ = writeln!(
            self.out,
            "<path class=\"edge\" d=\"{d}\" fill=\"none\" stroke=\"#718096\" stroke-width=\"1.3\"{marker}/>"
        );
    }

    fn create_clip(&mut self, _: Point, _: Point, _: usize) -> ClipHandle {
        0
    }
}

/// One module instance, laid out: its drawing and where its instances ended up, in its
/// own coordinates.
struct Group {
    name: String,
    body: String,
    min: Point,
    size: Point,
    /// Node index → (centre, half size) in the group's coordinates.
    places: HashMap<usize, (Point, Point)>,
}

fn node_size(label: &str) -> Point {
    let chars = label.chars().count().max(4) as f64;
    Point::new(
        chars * FONT_SIZE as f64 * 0.62 + 28.0,
        FONT_SIZE as f64 * 2.4,
    )
}

fn lay_out(name: &str, members: &[usize], picture: &Picture) -> Group {
    let mut vg = VisualGraph::new(Orientation::TopToBottom);
    let mut canvas = Canvas::new();
    let mut handles = HashMap::new();
    let look = StyleAttr::new(Color::fast("black"), 1, None, 6, FONT_SIZE);
    for &i in members {
        let node = &picture.nodes[i];
        let key = format!("n{i}");
        canvas
            .nodes
            .insert(key.clone(), (node.address.clone(), node.action));
        let element = Element::create_with_properties(
            ShapeKind::new_box(&node.label),
            look.clone(),
            Orientation::TopToBottom,
            node_size(&node.label),
            key,
        );
        handles.insert(i, vg.add_node(element));
    }
    for &(from, to) in &picture.edges {
        if let (Some(&a), Some(&b)) = (handles.get(&from), handles.get(&to)) {
            vg.add_edge(Arrow::simple(""), a, b);
        }
    }
    vg.do_it(false, false, false, &mut canvas);
    let places = handles
        .iter()
        .map(|(&i, &h)| {
            let pos = vg.pos(h);
            let (top_left, bottom_right) = pos.bbox(false);
            let centre = Point::new(
                (top_left.x + bottom_right.x) / 2.0,
                (top_left.y + bottom_right.y) / 2.0,
            );
            let half = Point::new(
                (bottom_right.x - top_left.x) / 2.0,
                (bottom_right.y - top_left.y) / 2.0,
            );
            (i, (centre, half))
        })
        .collect();
    Group {
        name: name.to_string(),
        body: canvas.out,
        min: canvas.min,
        size: canvas.max.sub(canvas.min),
        places,
    }
}

/// The picture as a standalone SVG document.
pub fn render_svg(picture: &Picture) -> String {
    // Groups in a stable order: the root module first, then module instances by name.
    let mut members: BTreeMap<(bool, String), Vec<usize>> = BTreeMap::new();
    for (i, n) in picture.nodes.iter().enumerate() {
        members
            .entry((!n.group.is_empty(), n.group.clone()))
            .or_default()
            .push(i);
    }
    let groups: Vec<Group> = members
        .iter()
        .map(|((_, name), m)| lay_out(name, m, picture))
        .collect();

    // Place the groups in rows no wider than ROW_WIDTH (a wider group has a row alone).
    let mut offsets = Vec::with_capacity(groups.len());
    let (mut x, mut y, mut row_height, mut width) =
        (FRAME_PAD, FRAME_PAD + TITLE_HEIGHT, 0.0f64, 0.0f64);
    for g in &groups {
        let w = g.size.x + 2.0 * GROUP_PAD;
        let h = g.size.y + 2.0 * GROUP_PAD + GROUP_HEADER;
        if x > FRAME_PAD && x + w > ROW_WIDTH {
            x = FRAME_PAD;
            y += row_height + GROUP_GAP;
            row_height = 0.0;
        }
        offsets.push(Point::new(x, y));
        x += w + GROUP_GAP;
        row_height = row_height.max(h);
        width = width.max(x - GROUP_GAP + FRAME_PAD);
    }
    let height = y + row_height + FRAME_PAD;
    let width = width.max(420.0);
    let legend_y = height;
    let height = height + 40.0;

    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\">",
        w = width,
        h = height
    );
    out.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">\
         <path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#718096\"/></marker></defs>\n\
         <style>text{font-family:ui-monospace,Menlo,Consolas,monospace;fill:#1a202c}\
         .label{font-size:14px;text-anchor:middle;dominant-baseline:middle}\
         .group-name{font-size:13px;fill:#4a5568}.title{font-size:16px;font-weight:bold}\
         .legend{font-size:12px}</style>\n",
    );
    let _ = writeln!(
        out,
        "<rect class=\"environment\" x=\"1\" y=\"1\" width=\"{:.0}\" height=\"{:.0}\" fill=\"#ffffff\" stroke=\"#2d3748\" rx=\"8\"/>",
        width - 2.0,
        height - 2.0
    );
    let _ = writeln!(
        out,
        "<text class=\"title\" x=\"{FRAME_PAD}\" y=\"{:.0}\">{}</text>",
        FRAME_PAD + 14.0,
        escape(&picture.title)
    );
    if picture.nodes.is_empty() {
        let _ = writeln!(
            out,
            "<text class=\"legend\" x=\"{FRAME_PAD}\" y=\"{:.0}\">(no resources)</text>",
            FRAME_PAD + TITLE_HEIGHT + 10.0
        );
    }

    // Where each node is in the picture, for the edges between groups.
    let mut place_of: HashMap<usize, (Point, Point)> = HashMap::new();
    for (g, at) in groups.iter().zip(&offsets) {
        let inner = Point::new(at.x + GROUP_PAD, at.y + GROUP_HEADER + GROUP_PAD).sub(g.min);
        let label = if g.name.is_empty() {
            "root module".to_string()
        } else {
            g.name.clone()
        };
        let _ = writeln!(
            out,
            "<g class=\"group\" data-module=\"{m}\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"6\" fill=\"#f7fafc\" stroke=\"#a0aec0\" stroke-dasharray=\"4 3\"/>\
             <text class=\"group-name\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            at.x,
            at.y,
            g.size.x + 2.0 * GROUP_PAD,
            g.size.y + 2.0 * GROUP_PAD + GROUP_HEADER,
            at.x + 10.0,
            at.y + 18.0,
            escape(&label),
            m = escape(&g.name),
        );
        let _ = writeln!(
            out,
            "<g transform=\"translate({:.1} {:.1})\">\n{}</g></g>",
            inner.x, inner.y, g.body
        );
        for (&i, &(centre, half)) in &g.places {
            place_of.insert(i, (centre.add(inner), half));
        }
    }
    for &(from, to) in &picture.edges {
        let same_group = picture.nodes[from].group == picture.nodes[to].group;
        if same_group {
            continue;
        }
        if let (Some(&(a, ah)), Some(&(b, bh))) = (place_of.get(&from), place_of.get(&to)) {
            let start = Point::new(a.x, a.y + ah.y);
            let end = Point::new(b.x, b.y - bh.y);
            let bend = ((end.y - start.y).abs() / 2.0).max(40.0);
            let _ = writeln!(
                out,
                "<path class=\"edge cross-module\" d=\"M {:.1} {:.1} C {:.1} {:.1}, {:.1} {:.1}, {:.1} {:.1}\" fill=\"none\" stroke=\"#718096\" stroke-width=\"1.3\" stroke-dasharray=\"6 4\" marker-end=\"url(#arrow)\"/>",
                start.x,
                start.y,
                start.x,
                start.y + bend,
                end.x,
                end.y - bend,
                end.x,
                end.y
            );
        }
    }

    // The legend: the actions present (or plain resources without a plan).
    let mut shown: Vec<Option<Action>> = Vec::new();
    for n in &picture.nodes {
        if !shown.iter().any(|a| colours(*a).2 == colours(n.action).2) {
            shown.push(n.action);
        }
    }
    let mut lx = FRAME_PAD;
    for a in shown {
        let (fill, stroke, text) = colours(a);
        let _ = writeln!(
            out,
            "<rect x=\"{lx:.0}\" y=\"{:.0}\" width=\"14\" height=\"14\" rx=\"3\" fill=\"{fill}\" stroke=\"{stroke}\"/>\
             <text class=\"legend\" x=\"{:.0}\" y=\"{:.0}\">{text}</text>",
            legend_y + 4.0,
            lx + 20.0,
            legend_y + 15.0
        );
        lx += 40.0 + text.len() as f64 * 8.0;
    }
    out.push_str("</svg>\n");
    out
}

/// The Mermaid flowchart of what a plan changes: every instance with an action other
/// than no-op, coloured by action, with an edge where one depends on another (directly
/// or through unchanged instances), grouped by module instance in subgraphs.
pub fn render_changes_mermaid(picture: &Picture) -> String {
    let changed: Vec<usize> = (0..picture.nodes.len())
        .filter(|&i| !matches!(picture.nodes[i].action, None | Some(Action::NoOp)))
        .collect();
    let mut out = String::from("flowchart TD\n");
    if changed.is_empty() {
        out.push_str("  none[\"no changes\"]\n");
        return out;
    }
    // Edges between changed nodes, through unchanged ones.
    let mut succ: HashMap<usize, Vec<usize>> = HashMap::new();
    for &(a, b) in &picture.edges {
        succ.entry(a).or_default().push(b);
    }
    let is_changed: std::collections::HashSet<usize> = changed.iter().copied().collect();
    let mut edges = std::collections::BTreeSet::new();
    for &start in &changed {
        let mut stack: Vec<usize> = succ.get(&start).cloned().unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            if is_changed.contains(&n) {
                edges.insert((start, n));
            } else if let Some(next) = succ.get(&n) {
                stack.extend(next);
            }
        }
    }
    let mut groups: BTreeMap<(bool, String), Vec<usize>> = BTreeMap::new();
    for &i in &changed {
        let g = &picture.nodes[i].group;
        groups
            .entry((!g.is_empty(), g.clone()))
            .or_default()
            .push(i);
    }
    let quote = |s: &str| s.replace('"', "#quot;");
    for (k, ((_, group), members)) in groups.iter().enumerate() {
        let indent = if group.is_empty() {
            "  "
        } else {
            let _ = writeln!(out, "  subgraph g{k}[\"{}\"]", quote(group));
            "    "
        };
        for &i in members {
            let n = &picture.nodes[i];
            let _ = writeln!(
                out,
                "{indent}n{i}[\"{} {}\"]:::{}",
                symbol(n.action),
                quote(&n.label),
                class(n.action)
            );
        }
        if !group.is_empty() {
            out.push_str("  end\n");
        }
    }
    for (a, b) in edges {
        let _ = writeln!(out, "  n{a} --> n{b}");
    }
    for a in [
        Some(Action::Create),
        Some(Action::Update),
        Some(Action::CreateThenDelete),
        Some(Action::Delete),
        Some(Action::Read),
    ] {
        let (fill, stroke, _) = colours(a);
        let _ = writeln!(out, "  classDef {} fill:{fill},stroke:{stroke}", class(a));
    }
    out
}

fn symbol(action: Option<Action>) -> &'static str {
    match action {
        Some(Action::Create) => "+",
        Some(Action::Update) => "~",
        Some(Action::Delete) => "-",
        Some(Action::DeleteThenCreate) => "-/+",
        Some(Action::CreateThenDelete) => "+/-",
        Some(Action::Read) => "<=",
        None | Some(Action::NoOp) => "",
    }
}

fn class(action: Option<Action>) -> &'static str {
    match action {
        Some(Action::Create) => "create",
        Some(Action::Update) => "update",
        Some(Action::Delete) => "destroy",
        Some(Action::DeleteThenCreate | Action::CreateThenDelete) => "replace",
        Some(Action::Read) => "read",
        None | Some(Action::NoOp) => "unchanged",
    }
}
