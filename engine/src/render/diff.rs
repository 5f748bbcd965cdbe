//! The diff of a change as marked lines: the one layout the text and Markdown views
//! both print (text puts the marker at the line's indentation, Markdown in column 0).
//!
//! Follows Terraform's conventions: attributes sorted by name and aligned on `=`,
//! nested blocks (objects, and lists or sets of objects) after the attributes, unchanged
//! parts of an update hidden behind a count, multi-line strings (and JSON documents,
//! pretty-printed first) diffed line by line inside `<<-EOT`. A sensitive value is
//! printed as `(sensitive value)` whatever its shape: nothing here reveals it.

use aic_lang::addr::Mode;
use aic_lang::value::{is_identifier, quote_string, AttrPath, PathStep, Value, ValueKind};
use indexmap::IndexMap;
use similar::{capture_diff_slices, Algorithm, DiffOp};

use crate::plan::{Action, OutputChange, ResourceChange};

pub(crate) const SENSITIVE: &str = "(sensitive value)";
pub(crate) const UNKNOWN: &str = "(known after apply)";

/// Unchanged lines kept around each change in a multi-line string.
const CONTEXT_LINES: usize = 3;

/// What a line does to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    None,
    Create,
    Update,
    Delete,
    DeleteThenCreate,
    CreateThenDelete,
    Read,
}

impl Marker {
    pub(crate) fn of(action: Action) -> Marker {
        match action {
            Action::NoOp => Marker::None,
            Action::Create => Marker::Create,
            Action::Read => Marker::Read,
            Action::Update => Marker::Update,
            Action::Delete => Marker::Delete,
            Action::DeleteThenCreate => Marker::DeleteThenCreate,
            Action::CreateThenDelete => Marker::CreateThenDelete,
        }
    }

    /// The symbol Terraform uses: `+ ~ - -/+ +/- <=`, or a space.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Marker::None => " ",
            Marker::Create => "+",
            Marker::Update => "~",
            Marker::Delete => "-",
            Marker::DeleteThenCreate => "-/+",
            Marker::CreateThenDelete => "+/-",
            Marker::Read => "<=",
        }
    }
}

/// Where a line stands in the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// `resource "T" "N" {`, with the marker in a three-column field.
    Header,
    /// A line inside a block, with its marker before the text.
    Body,
    /// A closing `}`, `]` or `EOT`, without a marker.
    Close,
}

/// One line of a rendered change. `depth` is the nesting level: the resource's
/// attributes are at depth 1, output values at depth 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub kind: LineKind,
    pub depth: usize,
    pub marker: Marker,
    pub text: String,
    /// The line's change forces the replacement of the object.
    pub forces_replacement: bool,
}

impl Line {
    fn body(depth: usize, marker: Marker, text: impl Into<String>) -> Line {
        Line {
            kind: LineKind::Body,
            depth,
            marker,
            text: text.into(),
            forces_replacement: false,
        }
    }

    fn close(depth: usize, text: impl Into<String>) -> Line {
        Line {
            kind: LineKind::Close,
            depth,
            marker: Marker::None,
            text: text.into(),
            forces_replacement: false,
        }
    }

    fn blank() -> Line {
        Line::body(0, Marker::None, "")
    }

    /// The columns before the marker: a header's marker is right-aligned in three
    /// columns, a body line's follows its indentation; a closing line has no marker.
    pub(crate) fn lead(&self) -> usize {
        match self.kind {
            LineKind::Header => 3usize.saturating_sub(self.marker.symbol().chars().count()),
            LineKind::Body => 4 * self.depth + 2,
            LineKind::Close => 4 * self.depth,
        }
    }

    /// An empty separator line.
    pub(crate) fn is_blank(&self) -> bool {
        self.text.is_empty()
    }
}

/// The lines of one resource change: the `resource "T" "N" {` header, the attributes,
/// the closing brace.
pub(crate) fn resource_lines(change: &ResourceChange) -> Vec<Line> {
    let addr = &change.addr.resource;
    let keyword = match addr.mode {
        Mode::Managed => "resource",
        Mode::Data => "data",
    };
    let mut out = vec![Line {
        kind: LineKind::Header,
        depth: 0,
        marker: Marker::of(change.action),
        text: format!(
            "{keyword} {} {} {{",
            quote_string(&addr.type_name),
            quote_string(&addr.name)
        ),
        forces_replacement: false,
    }];
    let differ = Differ {
        replace_paths: &change.replace_paths,
    };
    let before = present(change.before.as_ref());
    let after = present(change.after.as_ref());
    let (b, a) = (attributes(before), attributes(after));
    let root = &mut AttrPath::root();
    if (before.is_none() || b.is_some()) && (after.is_none() || a.is_some()) {
        differ.body(&mut out, 1, b, a, root, true);
    } else {
        // An object that is wholly unknown or sensitive: no attributes to list.
        differ.value(&mut out, 1, "", before, after, root, "");
    }
    out.push(Line::close(1, "}"));
    out
}

/// The lines of the output changes other than no-ops, sorted by name and aligned.
pub(crate) fn output_lines(outputs: &IndexMap<String, OutputChange>) -> Vec<Line> {
    let mut changed: Vec<(&String, &OutputChange)> = outputs
        .iter()
        .filter(|(_, c)| c.action != Action::NoOp)
        .collect();
    changed.sort_by(|a, b| a.0.cmp(b.0));
    let width = changed
        .iter()
        .map(|(name, _)| attr_name(name).chars().count())
        .max()
        .unwrap_or(0);
    let differ = Differ { replace_paths: &[] };
    let mut out = Vec::new();
    for (name, change) in changed {
        let prefix = format!("{} = ", pad(&attr_name(name), width));
        let mut path = AttrPath::root();
        let (before, after) = (
            present(change.before.as_ref()),
            present(change.after.as_ref()),
        );
        if before.is_none() && after.is_none() {
            // Set to null: still a change of the output.
            let marker = Marker::of(change.action);
            out.push(Line::body(0, marker, format!("{prefix}null")));
        } else {
            differ.value(&mut out, 0, &prefix, before, after, &mut path, "");
        }
    }
    out
}

struct Differ<'a> {
    replace_paths: &'a [AttrPath],
}

impl Differ<'_> {
    /// The attributes of an object (a resource or a block) at `depth`: plain attributes
    /// first, aligned on `=`, then the nested blocks. With `identity`, unchanged `id`
    /// and `name` are shown to tell the object apart.
    fn body(
        &self,
        out: &mut Vec<Line>,
        depth: usize,
        before: Option<&IndexMap<String, Value>>,
        after: Option<&IndexMap<String, Value>>,
        path: &mut AttrPath,
        identity: bool,
    ) {
        let start = out.len();
        let mut keys: Vec<&String> = before
            .into_iter()
            .chain(after)
            .flat_map(|m| m.keys())
            .collect();
        keys.sort();
        keys.dedup();
        let mut attrs = Vec::new();
        let mut blocks = Vec::new();
        let mut hidden_attrs = 0;
        let mut hidden_blocks = 0;
        for key in keys {
            let b = present(before.and_then(|m| m.get(key)));
            let a = present(after.and_then(|m| m.get(key)));
            let (Some(first), other) = (b.or(a), a.or(b)) else {
                continue;
            };
            let block = is_block(first) && other.is_none_or(is_block);
            let unchanged = matches!((b, a), (Some(b), Some(a)) if same(b, a));
            if unchanged {
                let is_identity = identity
                    && (key == "id" || key == "name")
                    && !first.contains_sensitive()
                    && first.as_elements().is_none()
                    && first.as_entries().is_none();
                if block {
                    hidden_blocks += first.as_elements().map_or(1, <[Value]>::len);
                    continue;
                } else if !is_identity {
                    hidden_attrs += 1;
                    continue;
                }
            }
            if block {
                blocks.push((key, b, a));
            } else {
                attrs.push((key, b, a));
            }
        }
        let width = attrs
            .iter()
            .map(|(key, _, _)| attr_name(key).chars().count())
            .max()
            .unwrap_or(0);
        for (key, b, a) in attrs {
            let prefix = format!("{} = ", pad(&attr_name(key), width));
            path.push(PathStep::Attr(key.clone()));
            self.value(out, depth, &prefix, b, a, path, "");
            path.pop();
        }
        if hidden_attrs > 0 {
            out.push(Line::body(
                depth,
                Marker::None,
                format!(
                    "# ({hidden_attrs} unchanged {} hidden)",
                    plural(hidden_attrs, "attribute")
                ),
            ));
        }
        for (key, b, a) in blocks {
            path.push(PathStep::Attr(key.clone()));
            match (b.map(Value::kind), a.map(Value::kind)) {
                (Some(ValueKind::Object(_)) | None, Some(ValueKind::Object(_)) | None) => {
                    separate(out, start);
                    self.block(out, depth, key, b, a, path);
                }
                _ => {
                    let is_set = matches!(a.or(b).map(Value::kind), Some(ValueKind::Set(_)));
                    let b = b.and_then(Value::as_elements).unwrap_or_default();
                    let a = a.and_then(Value::as_elements).unwrap_or_default();
                    hidden_blocks += self.block_list(out, start, depth, key, b, a, path, is_set);
                }
            }
            path.pop();
        }
        if hidden_blocks > 0 {
            separate(out, start);
            out.push(Line::body(
                depth,
                Marker::None,
                format!(
                    "# ({hidden_blocks} unchanged {} hidden)",
                    plural(hidden_blocks, "block")
                ),
            ));
        }
    }

    /// One nested block: `~ name {`, its attributes, `}`.
    fn block(
        &self,
        out: &mut Vec<Line>,
        depth: usize,
        name: &str,
        before: Option<&Value>,
        after: Option<&Value>,
        path: &mut AttrPath,
    ) {
        let marker = match (before, after) {
            (None, _) => Marker::Create,
            (_, None) => Marker::Delete,
            (Some(b), Some(a)) if same(b, a) => Marker::None,
            _ => Marker::Update,
        };
        let mut line = Line::body(depth, marker, format!("{} {{", attr_name(name)));
        line.forces_replacement = self.forces(path);
        out.push(line);
        let opened = out.len();
        self.body(
            out,
            depth + 1,
            before.and_then(Value::as_entries),
            after.and_then(Value::as_entries),
            path,
            false,
        );
        if out.len() == opened {
            // An empty block: `+ name {}`.
            if let Some(line) = out.last_mut() {
                line.text.push('}');
            }
        } else {
            out.push(Line::close(depth + 1, "}"));
        }
    }

    /// A list or set of blocks, element by element. Returns how many unchanged blocks
    /// were hidden.
    #[allow(clippy::too_many_arguments)] // the layout position and the two sides
    fn block_list(
        &self,
        out: &mut Vec<Line>,
        start: usize,
        depth: usize,
        name: &str,
        before: &[Value],
        after: &[Value],
        path: &mut AttrPath,
        is_set: bool,
    ) -> usize {
        let mut hidden = 0;
        let mut emit = |out: &mut Vec<Line>, index: usize, b: Option<&Value>, a: Option<&Value>| {
            separate(out, start);
            path.push(PathStep::Index(index));
            self.block(out, depth, name, b, a, path);
            path.pop();
        };
        for op in diff_elements(before, after) {
            match op {
                DiffOp::Equal { len, .. } => hidden += len,
                DiffOp::Delete {
                    old_index, old_len, ..
                } => {
                    for i in old_index..old_index + old_len {
                        emit(out, i, before.get(i), None);
                    }
                }
                DiffOp::Insert {
                    new_index, new_len, ..
                } => {
                    for i in new_index..new_index + new_len {
                        emit(out, i, None, after.get(i));
                    }
                }
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => {
                    let paired = if is_set { 0 } else { old_len.min(new_len) };
                    for k in 0..paired {
                        emit(
                            out,
                            new_index + k,
                            before.get(old_index + k),
                            after.get(new_index + k),
                        );
                    }
                    for i in old_index + paired..old_index + old_len {
                        emit(out, i, before.get(i), None);
                    }
                    for i in new_index + paired..new_index + new_len {
                        emit(out, i, None, after.get(i));
                    }
                }
            }
        }
        hidden
    }

    /// One value after `prefix` (`name = `, `"key" = `, or nothing for a list element),
    /// followed by `suffix` (`,` in lists).
    #[allow(clippy::too_many_arguments)] // the layout position and the two sides
    fn value(
        &self,
        out: &mut Vec<Line>,
        depth: usize,
        prefix: &str,
        before: Option<&Value>,
        after: Option<&Value>,
        path: &mut AttrPath,
        suffix: &str,
    ) {
        let first = out.len();
        // List elements are removed without `-> null`; attributes and entries with it.
        let removed_tail = if suffix.is_empty() { " -> null" } else { "" };
        match (before, after) {
            (None, None) => {}
            (None, Some(a)) => self.whole(out, depth, Marker::Create, prefix, a, "", suffix),
            (Some(b), None) => {
                self.whole(out, depth, Marker::Delete, prefix, b, removed_tail, suffix)
            }
            (Some(b), Some(a)) if same(b, a) => {
                self.whole(out, depth, Marker::None, prefix, a, "", suffix)
            }
            (Some(b), Some(a)) => self.changed(out, depth, prefix, b, a, path, suffix),
        }
        if self.forces(path) {
            if let Some(line) = out.get_mut(first) {
                line.forces_replacement = true;
            }
        }
    }

    /// A value shown whole, every line with `marker`; `tail` follows the value
    /// (` -> null` for a removed attribute).
    #[allow(clippy::too_many_arguments)] // the layout position and the two sides
    fn whole(
        &self,
        out: &mut Vec<Line>,
        depth: usize,
        marker: Marker,
        prefix: &str,
        value: &Value,
        tail: &str,
        suffix: &str,
    ) {
        if value.is_sensitive() || !value.is_known() {
            out.push(Line::body(
                depth,
                marker,
                format!("{prefix}{}{tail}{suffix}", inline(value)),
            ));
            return;
        }
        match value.kind() {
            ValueKind::String(s) if is_multiline(s) => {
                out.push(Line::body(depth, marker, format!("{prefix}<<-EOT")));
                for line in text_lines(s) {
                    out.push(Line::body(depth + 1, Marker::None, line));
                }
                out.push(Line::close(depth + 1, format!("EOT{tail}{suffix}")));
            }
            ValueKind::Map(m) | ValueKind::Object(m) if !m.is_empty() => {
                out.push(Line::body(depth, marker, format!("{prefix}{{")));
                let quoted = matches!(value.kind(), ValueKind::Map(_));
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let width = keys
                    .iter()
                    .map(|k| entry_name(k, quoted).chars().count())
                    .max()
                    .unwrap_or(0);
                for key in keys {
                    if let Some(v) = m.get(key) {
                        let prefix = format!("{} = ", pad(&entry_name(key, quoted), width));
                        self.whole(out, depth + 1, marker, &prefix, v, "", "");
                    }
                }
                out.push(Line::close(depth + 1, format!("}}{tail}{suffix}")));
            }
            ValueKind::List(v) | ValueKind::Set(v) | ValueKind::Tuple(v) if !v.is_empty() => {
                out.push(Line::body(depth, marker, format!("{prefix}[")));
                for element in v {
                    self.whole(out, depth + 1, marker, "", element, "", ",");
                }
                out.push(Line::close(depth + 1, format!("]{tail}{suffix}")));
            }
            _ => out.push(Line::body(
                depth,
                marker,
                format!("{prefix}{}{tail}{suffix}", inline(value)),
            )),
        }
    }

    /// A value present on both sides that differs.
    #[allow(clippy::too_many_arguments)] // the layout position and the two sides
    fn changed(
        &self,
        out: &mut Vec<Line>,
        depth: usize,
        prefix: &str,
        before: &Value,
        after: &Value,
        path: &mut AttrPath,
        suffix: &str,
    ) {
        let update = |text: String| Line::body(depth, Marker::Update, text);
        if before.is_sensitive() || after.is_sensitive() {
            out.push(update(format!("{prefix}{SENSITIVE}{suffix}")));
            return;
        }
        if !after.is_known() {
            // The old collection, then what replaces it.
            let opening = match before.kind() {
                ValueKind::Map(m) | ValueKind::Object(m) if !m.is_empty() => Some("{"),
                ValueKind::List(v) | ValueKind::Set(v) | ValueKind::Tuple(v) if !v.is_empty() => {
                    Some("[")
                }
                _ => None,
            };
            if opening.is_some() {
                let mut lines = Vec::new();
                self.whole(&mut lines, depth, Marker::Delete, prefix, before, "", "");
                if let Some(head) = lines.first_mut() {
                    head.marker = Marker::Update;
                }
                if let Some(close) = lines.last_mut() {
                    close.text = format!("{} -> {UNKNOWN}{suffix}", close.text);
                }
                out.extend(lines);
            } else {
                out.push(update(format!(
                    "{prefix}{} -> {UNKNOWN}{suffix}",
                    inline(before)
                )));
            }
            return;
        }
        match (before.kind(), after.kind()) {
            (ValueKind::String(b), ValueKind::String(a)) if is_multiline(b) || is_multiline(a) => {
                out.push(update(format!("{prefix}<<-EOT")));
                text_diff(out, depth + 1, b, a);
                out.push(Line::close(depth + 1, format!("EOT{suffix}")));
            }
            (
                ValueKind::Map(b) | ValueKind::Object(b),
                ValueKind::Map(a) | ValueKind::Object(a),
            ) => {
                out.push(update(format!("{prefix}{{")));
                let quoted = matches!(after.kind(), ValueKind::Map(_));
                self.entries(out, depth + 1, b, a, path, quoted);
                out.push(Line::close(depth + 1, format!("}}{suffix}")));
            }
            (
                ValueKind::List(b) | ValueKind::Tuple(b) | ValueKind::Set(b),
                ValueKind::List(a) | ValueKind::Tuple(a) | ValueKind::Set(a),
            ) => {
                out.push(update(format!("{prefix}[")));
                let is_set = matches!(after.kind(), ValueKind::Set(_));
                self.elements(out, depth + 1, b, a, path, is_set);
                out.push(Line::close(depth + 1, format!("]{suffix}")));
            }
            _ => out.push(update(format!(
                "{prefix}{} -> {}{suffix}",
                inline(before),
                inline(after)
            ))),
        }
    }

    /// The entries of two maps (or objects inside an attribute), aligned on `=`.
    fn entries(
        &self,
        out: &mut Vec<Line>,
        depth: usize,
        before: &IndexMap<String, Value>,
        after: &IndexMap<String, Value>,
        path: &mut AttrPath,
        quoted: bool,
    ) {
        let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut shown = Vec::new();
        let mut hidden = 0;
        for key in keys {
            let (b, a) = (present(before.get(key)), present(after.get(key)));
            match (b, a) {
                (None, None) => {}
                (Some(b), Some(a)) if same(b, a) => hidden += 1,
                _ => shown.push((key, b, a)),
            }
        }
        let width = shown
            .iter()
            .map(|(k, _, _)| entry_name(k, quoted).chars().count())
            .max()
            .unwrap_or(0);
        for (key, b, a) in shown {
            let prefix = format!("{} = ", pad(&entry_name(key, quoted), width));
            let step = if quoted {
                PathStep::Key(key.clone())
            } else {
                PathStep::Attr(key.clone())
            };
            path.push(step);
            self.value(out, depth, &prefix, b, a, path, "");
            path.pop();
        }
        if hidden > 0 {
            let noun = if quoted { "element" } else { "attribute" };
            out.push(Line::body(
                depth,
                Marker::None,
                format!("# ({hidden} unchanged {} hidden)", plural(hidden, noun)),
            ));
        }
    }

    /// The elements of two lists (or sets), matched by a longest common subsequence.
    fn elements(
        &self,
        out: &mut Vec<Line>,
        depth: usize,
        before: &[Value],
        after: &[Value],
        path: &mut AttrPath,
        is_set: bool,
    ) {
        let mut element =
            |out: &mut Vec<Line>, index: usize, b: Option<&Value>, a: Option<&Value>| {
                path.push(PathStep::Index(index));
                self.value(out, depth, "", b, a, path, ",");
                path.pop();
            };
        for op in diff_elements(before, after) {
            match op {
                DiffOp::Equal { len, .. } => out.push(Line::body(
                    depth,
                    Marker::None,
                    format!("# ({len} unchanged {} hidden)", plural(len, "element")),
                )),
                DiffOp::Delete {
                    old_index, old_len, ..
                } => {
                    for i in old_index..old_index + old_len {
                        element(out, i, before.get(i), None);
                    }
                }
                DiffOp::Insert {
                    new_index, new_len, ..
                } => {
                    for i in new_index..new_index + new_len {
                        element(out, i, None, after.get(i));
                    }
                }
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => {
                    let structural = |v: &Value| {
                        !v.is_sensitive()
                            && v.is_known()
                            && (v.as_entries().is_some() || v.as_elements().is_some())
                    };
                    let paired = old_len.min(new_len);
                    let pairable = !is_set
                        && (0..paired).all(|k| {
                            before.get(old_index + k).is_some_and(structural)
                                && after.get(new_index + k).is_some_and(structural)
                        });
                    let paired = if pairable { paired } else { 0 };
                    for k in 0..paired {
                        element(
                            out,
                            new_index + k,
                            before.get(old_index + k),
                            after.get(new_index + k),
                        );
                    }
                    for i in old_index + paired..old_index + old_len {
                        element(out, i, before.get(i), None);
                    }
                    for i in new_index + paired..new_index + new_len {
                        element(out, i, None, after.get(i));
                    }
                }
            }
        }
    }

    fn forces(&self, path: &AttrPath) -> bool {
        !path.is_root() && self.replace_paths.contains(path)
    }
}

/// The line-by-line diff of two strings, unchanged runs beyond the context hidden.
fn text_diff(out: &mut Vec<Line>, depth: usize, before: &str, after: &str) {
    let (b, a) = (text_lines(before), text_lines(after));
    if b == a {
        for line in a {
            out.push(Line::body(depth, Marker::None, line));
        }
        out.push(Line::body(
            depth,
            Marker::None,
            "# (whitespace changes only)",
        ));
        return;
    }
    let ops = capture_diff_slices(Algorithm::Myers, &b, &a);
    let last = ops.len().saturating_sub(1);
    let lines = |out: &mut Vec<Line>, marker: Marker, from: &[String]| {
        out.extend(from.iter().map(|l| Line::body(depth, marker, l.clone())));
    };
    for (i, op) in ops.iter().enumerate() {
        match *op {
            DiffOp::Equal { old_index, len, .. } => {
                let run = b.get(old_index..old_index + len).unwrap_or_default();
                let head = if i == 0 { 0 } else { CONTEXT_LINES.min(len) };
                let tail = if i == last {
                    0
                } else {
                    CONTEXT_LINES.min(len - head)
                };
                let hidden = len - head - tail;
                lines(out, Marker::None, run.get(..head).unwrap_or_default());
                if hidden > 0 {
                    out.push(Line::body(
                        depth,
                        Marker::None,
                        format!("# ({hidden} unchanged {} hidden)", plural(hidden, "line")),
                    ));
                }
                lines(out, Marker::None, run.get(len - tail..).unwrap_or_default());
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => {
                lines(
                    out,
                    Marker::Delete,
                    b.get(old_index..old_index + old_len).unwrap_or_default(),
                );
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } => {
                lines(
                    out,
                    Marker::Create,
                    a.get(new_index..new_index + new_len).unwrap_or_default(),
                );
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                lines(
                    out,
                    Marker::Delete,
                    b.get(old_index..old_index + old_len).unwrap_or_default(),
                );
                lines(
                    out,
                    Marker::Create,
                    a.get(new_index..new_index + new_len).unwrap_or_default(),
                );
            }
        }
    }
}

/// Matches the elements of two sequences. Elements that are not wholly known never
/// match anything: an unknown is always a change.
fn diff_elements(before: &[Value], after: &[Value]) -> Vec<DiffOp> {
    let key = |side: char, i: usize, v: &Value| {
        if v.is_wholly_known() {
            format!("{:?}:{}", v.sensitive_paths(), v.revealed())
        } else {
            format!("\u{0}{side}{i}")
        }
    };
    let b: Vec<String> = before
        .iter()
        .enumerate()
        .map(|(i, v)| key('b', i, v))
        .collect();
    let a: Vec<String> = after
        .iter()
        .enumerate()
        .map(|(i, v)| key('a', i, v))
        .collect();
    capture_diff_slices(Algorithm::Myers, &b, &a)
}

/// The value unless it is a null that says nothing (a sensitive null still hides).
fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null() || v.is_sensitive())
}

/// The attributes of an object that can be listed (not unknown, not sensitive).
fn attributes(value: Option<&Value>) -> Option<&IndexMap<String, Value>> {
    value
        .filter(|v| !v.is_sensitive() && v.is_known())
        .and_then(Value::as_entries)
}

/// Whether two values are the same, marks included. Unknowns are never the same.
fn same(before: &Value, after: &Value) -> bool {
    before.is_wholly_known()
        && after.is_wholly_known()
        && before.equals(after) == Some(true)
        && before.sensitive_paths() == after.sensitive_paths()
}

/// Whether a value is shown as a nested block: an object, or a non-empty list or set
/// of objects.
fn is_block(value: &Value) -> bool {
    let plain_object = |v: &Value| !v.is_sensitive() && matches!(v.kind(), ValueKind::Object(_));
    if value.is_sensitive() {
        return false;
    }
    match value.kind() {
        ValueKind::Object(_) => true,
        ValueKind::List(v) | ValueKind::Set(v) | ValueKind::Tuple(v) => {
            !v.is_empty() && v.iter().all(plain_object)
        }
        _ => false,
    }
}

/// A value on one line: primitives in literal syntax, `(sensitive value)`,
/// `(known after apply)`, small collections inline.
pub(crate) fn inline(value: &Value) -> String {
    if value.is_sensitive() {
        return SENSITIVE.to_owned();
    }
    match value.kind() {
        ValueKind::Unknown(_) => UNKNOWN.to_owned(),
        ValueKind::List(v) | ValueKind::Set(v) | ValueKind::Tuple(v) => {
            let items: Vec<String> = v.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        ValueKind::Map(m) | ValueKind::Object(m) if m.is_empty() => "{}".to_owned(),
        ValueKind::Map(m) | ValueKind::Object(m) => {
            let quoted = matches!(value.kind(), ValueKind::Map(_));
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{} = {}", entry_name(k, quoted), inline(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        _ => value.to_string(),
    }
}

/// Whether a string is shown as a heredoc.
fn is_multiline(s: &str) -> bool {
    json_document(s).is_some() || s.trim_end_matches('\n').contains('\n')
}

/// A string that holds a JSON object or array, pretty-printed; `None` for any other
/// string, and for a document that fits on one line anyway (`[]`, `{}`).
fn json_document(s: &str) -> Option<String> {
    let trimmed = s.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    let json: serde_json::Value = serde_json::from_str(s).ok()?;
    let pretty = serde_json::to_string_pretty(&json).ok()?;
    pretty.contains('\n').then_some(pretty)
}

/// The lines of a heredoc: the pretty-printed JSON document, or the string itself;
/// control characters other than tabs escaped so they cannot drive the terminal.
fn text_lines(s: &str) -> Vec<String> {
    let text = json_document(s).unwrap_or_else(|| s.to_owned());
    text.strip_suffix('\n')
        .unwrap_or(&text)
        .split('\n')
        .map(|line| {
            line.chars()
                .map(|c| {
                    if c.is_control() && c != '\t' {
                        format!("\\u{{{:x}}}", u32::from(c))
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect()
}

/// An attribute name: bare when it is an identifier, quoted otherwise.
fn attr_name(name: &str) -> String {
    if is_identifier(name) {
        name.to_owned()
    } else {
        quote_string(name)
    }
}

/// A map key (always quoted, as Terraform) or an object attribute name.
fn entry_name(key: &str, quoted: bool) -> String {
    if quoted {
        quote_string(key)
    } else {
        attr_name(key)
    }
}

fn pad(name: &str, width: usize) -> String {
    let len = name.chars().count();
    format!("{name}{}", " ".repeat(width.saturating_sub(len)))
}

/// A blank line between what came before in this block and the next nested block.
fn separate(out: &mut Vec<Line>, start: usize) {
    if out.len() > start && out.last().is_some_and(|l| !l.text.is_empty()) {
        out.push(Line::blank());
    }
}

pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        noun.to_owned()
    } else {
        format!("{noun}s")
    }
}
