//! Pictures of the graph, through the `aic` binary: `aic graph --format svg` groups every
//! instance inside its module's box (checked on the SVG's geometry), `--plan` colours
//! instances by the plan's actions and adds what the plan destroys, `aic plan --format
//! markdown --graph` carries a Mermaid diagram of the changes; and both pictures are
//! looked at in a real headless browser (Chromium; the Markdown page drawn by mermaid.js as
//! code hosts do), whose screenshots must show the actions' colours. The browser tests
//! fail, naming `scripts/browser.sh install`, when Chromium or mermaid.js is missing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use aic_provider_testkit::aic;
use aic_provider_testkit::runner::Project;

/// A root module with one resource, and two instances of a module whose resources depend
/// on each other and on the root's.
const MODULES: &str = r#"
environment dev {}

resource random_id seed {
  byte_length = 2
}

module site {
  source   = "./modules/site"
  for_each = toset(["a", "b"])
  name     = "${each.key}-${random_id.seed.hex}"
}
"#;

const SITE: &str = r#"
variable name: string

resource null_resource base {
  triggers = { name = var.name }
}

resource local_file page {
  filename = "out/${var.name}.txt"
  content  = null_resource.base.id
}
"#;

fn project() -> Project {
    let p = Project::with_main(&aic!().env("AIC_ENV", "dev"), MODULES);
    p.write("modules/site/main.aic", SITE);
    p
}

/// A node of the picture: its module (group) and its box in picture coordinates.
#[derive(Debug)]
struct Node {
    /// The `data-module` of the group it is drawn in.
    module: String,
    action: String,
    rect: Rect,
}

#[derive(Debug, Clone, Copy)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    fn contains(&self, o: &Rect) -> bool {
        o.x >= self.x
            && o.y >= self.y
            && o.x + o.w <= self.x + self.w
            && o.y + o.h <= self.y + self.h
    }

    fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

fn num(n: roxmltree::Node<'_, '_>, attr: &str) -> f64 {
    n.attribute(attr)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("<{}> without a numeric {attr}", n.tag_name().name()))
}

fn rect_of(n: roxmltree::Node<'_, '_>, offset: (f64, f64)) -> Rect {
    Rect {
        x: num(n, "x") + offset.0,
        y: num(n, "y") + offset.1,
        w: num(n, "width"),
        h: num(n, "height"),
    }
}

/// The translation of every `<g transform="translate(X Y)">` above `n`.
fn offset(n: roxmltree::Node<'_, '_>) -> (f64, f64) {
    let mut at = (0.0, 0.0);
    for a in n.ancestors() {
        if let Some(t) = a.attribute("transform") {
            let inner = t
                .strip_prefix("translate(")
                .and_then(|t| t.strip_suffix(')'))
                .unwrap_or_else(|| panic!("unexpected transform {t}"));
            let xy: Vec<f64> = inner
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap_or_else(|e| panic!("{t}: {e}")))
                .collect();
            at = (at.0 + xy[0], at.1 + xy[1]);
        }
    }
    at
}

/// The module boxes (by module address) and the instances (by address) of an SVG.
fn parse(svg: &str) -> (BTreeMap<String, Rect>, BTreeMap<String, Node>) {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}\n{svg}"));
    let mut groups = BTreeMap::new();
    let mut nodes = BTreeMap::new();
    for n in doc.descendants() {
        let class = n.attribute("class").unwrap_or_default();
        let first_rect = || {
            n.children()
                .find(|c| c.has_tag_name("rect"))
                .unwrap_or_else(|| panic!("a {class} without a box"))
        };
        if class == "group" {
            let name = n.attribute("data-module").unwrap_or_default().to_string();
            groups.insert(name, rect_of(first_rect(), offset(n)));
        } else if class == "node" {
            let address = n.attribute("data-address").unwrap_or_default().to_string();
            let action = n.attribute("data-action").unwrap_or_default().to_string();
            let r = first_rect();
            let module = n
                .ancestors()
                .find(|a| a.attribute("class") == Some("group"))
                .and_then(|g| g.attribute("data-module"))
                .unwrap_or_else(|| panic!("{address} is drawn outside every module box"))
                .to_string();
            let node = Node {
                module,
                action,
                rect: rect_of(r, offset(r)),
            };
            assert!(
                nodes.insert(address.clone(), node).is_none(),
                "{address} drawn twice"
            );
        }
    }
    (groups, nodes)
}

#[test]
fn the_svg_draws_every_instance_once_inside_its_modules_box() {
    let p = project();
    let svg = p.aic(&["graph", "--format", "svg"]).success().stdout;
    let (groups, nodes) = parse(&svg);
    let drawn: BTreeSet<&str> = nodes.keys().map(String::as_str).collect();
    assert_eq!(
        drawn,
        BTreeSet::from([
            "module.site[\"a\"].local_file.page",
            "module.site[\"a\"].null_resource.base",
            "module.site[\"b\"].local_file.page",
            "module.site[\"b\"].null_resource.base",
            "random_id.seed",
        ]),
        "{svg}"
    );
    assert_eq!(
        groups.keys().map(String::as_str).collect::<Vec<_>>(),
        ["", "module.site[\"a\"]", "module.site[\"b\"]"]
    );
    for (address, node) in &nodes {
        let module = &node.module;
        let in_its_module = if module.is_empty() {
            !address.starts_with("module.")
        } else {
            address.starts_with(&format!("{module}."))
        };
        assert!(in_its_module, "{address} is drawn in the box of `{module}`");
        let group = groups[module];
        assert!(
            group.contains(&node.rect),
            "{address} at {:?} is outside the box of `{module}` at {group:?}",
            node.rect
        );
        assert_eq!(node.action, "none", "no plan given, no action: {address}");
    }
    let boxes: Vec<(&String, &Rect)> = groups.iter().collect();
    for (i, (a, ra)) in boxes.iter().enumerate() {
        for (b, rb) in &boxes[i + 1..] {
            assert!(!ra.overlaps(rb), "the boxes of `{a}` and `{b}` overlap");
        }
    }
    // Edges: each module's page depends on its base; base and page (through `var.name`,
    // in its file name) on the root's seed: four edges leave the root's box.
    assert_eq!(
        svg.matches("class=\"edge cross-module\"").count(),
        4,
        "{svg}"
    );
    assert!(
        svg.contains("environment dev"),
        "the environment is named: {svg}"
    );
}

/// Applies the project, changes it so that `b` goes away (its two instances destroyed) and
/// `a`'s page is replaced, and draws the graph coloured by that plan.
fn coloured_svg(p: &Project) -> String {
    p.aic(&["apply", "--auto-approve"]).success();
    // `b` goes away (its two instances destroyed), `a`'s page is replaced.
    p.edit("main.aic", r#"toset(["a", "b"])"#, r#"toset(["a"])"#);
    p.edit(
        "modules/site/main.aic",
        r#""out/${var.name}.txt""#,
        r#""out/${var.name}.html""#,
    );
    let json = p.aic(&["plan", "--format", "json"]).success().stdout;
    p.write("plan.json", &json);
    p.aic(&["graph", "--format", "svg", "--plan", "plan.json"])
        .success()
        .stdout
}

#[test]
fn with_a_json_plan_instances_are_coloured_by_action_and_destroyed_ones_are_drawn() {
    let p = project();
    let svg = coloured_svg(&p);
    let (_, nodes) = parse(&svg);
    let actions: BTreeMap<&str, &str> = nodes
        .iter()
        .map(|(a, n)| (a.as_str(), n.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        BTreeMap::from([
            ("module.site[\"a\"].local_file.page", "delete-create"),
            ("module.site[\"a\"].null_resource.base", "no-op"),
            ("module.site[\"b\"].local_file.page", "delete"),
            ("module.site[\"b\"].null_resource.base", "delete"),
            ("random_id.seed", "no-op"),
        ]),
        "{svg}"
    );
    for legend in ["destroy", "replace", "no change"] {
        assert!(
            svg.contains(&format!(">{legend}</text>")),
            "legend lacks {legend}: {svg}"
        );
    }
}

#[test]
fn a_plan_that_is_not_a_json_plan_or_without_svg_is_refused_with_what_to_do() {
    let p = project();
    let missing = p
        .aic(&["graph", "--format", "svg", "--plan", "missing.json"])
        .code(1);
    assert!(
        missing.stderr.contains("E0660") && missing.stderr.contains("missing.json"),
        "{}",
        missing.stderr
    );
    p.write("plan.json", "resource_changes: []");
    let bad = p
        .aic(&["graph", "--format", "svg", "--plan", "plan.json"])
        .code(1);
    assert!(
        bad.stderr.contains("E0661") && bad.stderr.contains("aic plan --format json"),
        "{}",
        bad.stderr
    );
    p.write("plan.json", r#"{"resource_changes": []}"#);
    let dot = p.aic(&["graph", "--plan", "plan.json"]).code(1);
    assert!(
        dot.stderr.contains("E0663") && dot.stderr.contains("--format svg"),
        "{}",
        dot.stderr
    );
    let text = p.aic(&["plan", "--graph"]).code(1);
    assert!(text.stderr.contains("--format markdown"), "{}", text.stderr);
}

#[test]
fn the_markdown_plan_gains_a_mermaid_diagram_of_the_changes() {
    let p = project();
    let markdown = p
        .aic(&["plan", "--format", "markdown", "--graph"])
        .success()
        .stdout;
    let diagram = mermaid_block(&markdown);
    insta::assert_snapshot!(diagram, @r#"
    flowchart TD
      n4["+ random_id.seed"]:::create
      subgraph g1["module.site[#quot;a#quot;]"]
        n0["+ local_file.page"]:::create
        n1["+ null_resource.base"]:::create
      end
      subgraph g2["module.site[#quot;b#quot;]"]
        n2["+ local_file.page"]:::create
        n3["+ null_resource.base"]:::create
      end
      n1 --> n0
      n3 --> n2
      n4 --> n0
      n4 --> n1
      n4 --> n2
      n4 --> n3
      classDef create fill:#dcfce7,stroke:#15803d
      classDef update fill:#fef9c3,stroke:#a16207
      classDef replace fill:#ffedd5,stroke:#c2410c
      classDef destroy fill:#fee2e2,stroke:#b91c1c
      classDef read fill:#dbeafe,stroke:#1d4ed8
    "#);
    // Without --graph the Markdown plan has no diagram; with no changes, none either.
    let plain = p.aic(&["plan", "--format", "markdown"]).success().stdout;
    assert!(!plain.contains("```mermaid"), "{plain}");
    p.aic(&["apply", "--auto-approve"]).success();
    let unchanged = p
        .aic(&["plan", "--format", "markdown", "--graph"])
        .success()
        .stdout;
    assert!(!unchanged.contains("```mermaid"), "{unchanged}");
}

fn mermaid_block(markdown: &str) -> String {
    let start = markdown
        .find("```mermaid\n")
        .unwrap_or_else(|| panic!("no Mermaid block: {markdown}"))
        + "```mermaid\n".len();
    let len = markdown[start..]
        .find("```")
        .unwrap_or_else(|| panic!("unclosed Mermaid block: {markdown}"));
    markdown[start..start + len].to_string()
}

// ---- in a real browser ----

struct Browser {
    chromium: PathBuf,
    mermaid: PathBuf,
}

impl Browser {
    /// Chromium and mermaid.js, from `scripts/browser.sh paths`.
    fn find() -> Browser {
        let script = Path::new(
            &*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
        )
        .join("../scripts/browser.sh");
        let out = Command::new(&script)
            .arg("paths")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "no headless browser for the picture tests: run `scripts/browser.sh install`\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let field = |name: &str| -> PathBuf {
            text.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{name}=")))
                .map(PathBuf::from)
                .unwrap_or_else(|| panic!("scripts/browser.sh paths printed no {name}: {text}"))
        };
        Browser {
            chromium: field("chromium"),
            mermaid: field("mermaid"),
        }
    }

    /// A screenshot of `page` (a file), `width`×`height`, after its scripts ran.
    fn screenshot(&self, page: &Path, width: u32, height: u32) -> Image {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let png = dir.path().join("shot.png");
        let out = Command::new(&self.chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--allow-file-access-from-files",
                "--virtual-time-budget=10000",
            ])
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .arg(format!("--window-size={width},{height}"))
            .arg(format!("--screenshot={}", png.display()))
            .arg(format!("file://{}", page.display()))
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.chromium.display()));
        assert!(
            png.is_file(),
            "Chromium wrote no screenshot of {}:\n{}",
            page.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Image::read(&png)
    }
}

/// The pixels of a screenshot.
struct Image {
    rgb: Vec<[u8; 3]>,
}

impl Image {
    fn read(path: &Path) -> Image {
        let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{e}"));
        let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder
            .read_info()
            .unwrap_or_else(|e| panic!("not a PNG: {e}"));
        let mut buf = vec![0; reader.output_buffer_size().unwrap_or_default()];
        let info = reader
            .next_frame(&mut buf)
            .unwrap_or_else(|e| panic!("{e}"));
        let channels = info.color_type.samples();
        let rgb = buf[..info.buffer_size()]
            .chunks(channels)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        Image { rgb }
    }

    /// How many pixels are within a small distance of colour `hex` (`#rrggbb`).
    fn count(&self, hex: &str) -> usize {
        let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or_default();
        let want = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        self.rgb
            .iter()
            .filter(|p| p.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 6))
            .count()
    }
}

const CREATE_FILL: &str = "#dcfce7";
const DESTROY_FILL: &str = "#fee2e2";
const REPLACE_FILL: &str = "#ffedd5";

#[test]
fn the_coloured_svg_renders_in_a_headless_browser() {
    let browser = Browser::find();
    let p = project();
    let svg = coloured_svg(&p);
    p.write("graph.svg", &svg);
    let shot = browser.screenshot(&p.file("graph.svg"), 1400, 700);
    // Two destroyed instances and one replaced one, drawn in their colours (each box is
    // thousands of pixels); nothing is created.
    assert!(
        shot.count(DESTROY_FILL) > 4_000,
        "destroyed boxes not drawn: {}",
        shot.count(DESTROY_FILL)
    );
    assert!(
        shot.count(REPLACE_FILL) > 2_000,
        "replaced box not drawn: {}",
        shot.count(REPLACE_FILL)
    );
    assert!(
        shot.count(CREATE_FILL) < 200,
        "a created box was drawn: {}",
        shot.count(CREATE_FILL)
    );
}

#[test]
fn the_markdown_plan_renders_its_diagram_with_mermaid_in_a_headless_browser() {
    let browser = Browser::find();
    let p = project();
    let markdown = p
        .aic(&["plan", "--format", "markdown", "--graph"])
        .success()
        .stdout;
    // The page as a code host shows it: the Markdown rendered to HTML, the `mermaid`
    // fence handed to mermaid.js.
    let mut html = String::new();
    pulldown_cmark::html::push_html(
        &mut html,
        pulldown_cmark::Parser::new_ext(&markdown, pulldown_cmark::Options::all()),
    );
    let fence = "<pre><code class=\"language-mermaid\">";
    assert!(
        html.contains(fence),
        "the Markdown has no mermaid fence: {html}"
    );
    let html = html
        .replace(fence, "<pre class=\"mermaid\">")
        .replace("</code></pre>", "</pre>");
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><script src=\"file://{}\"></script></head>\
         <body>{html}<script>mermaid.initialize({{startOnLoad: true}});</script></body></html>",
        browser.mermaid.display()
    );
    p.write("plan.html", &page);
    let shot = browser.screenshot(&p.file("plan.html"), 1200, 1400);
    // Five created instances drawn by mermaid in the create colour; a diagram mermaid
    // cannot parse shows an error picture instead, without it.
    assert!(
        shot.count(CREATE_FILL) > 3_000,
        "mermaid drew no created instance: {} pixels of {CREATE_FILL}",
        shot.count(CREATE_FILL)
    );
}
