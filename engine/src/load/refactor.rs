//! `moved`, `removed` and `import` blocks (spec §4.13): refactorings of the state,
//! read at load time with their addresses checked (E0260, E0261); the planner applies
//! them to the prior objects.

use aic_lang::addr::InstanceAddr;
use aic_lang::ast;
use aic_lang::config::Module;
use aic_lang::diag::Diagnostic;
use aic_lang::source::SourceMap;

use crate::codes;

/// `moved`, `removed` and `import` blocks of the root module, with their addresses read.
#[derive(Debug, Clone, Default)]
pub struct Refactorings {
    /// `moved { from, to }`.
    pub moves: Vec<(InstanceAddr, InstanceAddr)>,
    /// `removed { from }`: forgotten, not destroyed.
    pub removed: Vec<InstanceAddr>,
    /// `import { to, id }`: the id expression is evaluated when planning.
    pub imports: Vec<(InstanceAddr, ast::Expr)>,
}

/// Reads the refactoring blocks of the root module `m`; malformed ones are reported.
pub(crate) fn read(m: &Module, sources: &SourceMap, diags: &mut Vec<Diagnostic>) -> Refactorings {
    let addr_of = |b: &ast::Block,
                   name: &str,
                   diags: &mut Vec<Diagnostic>|
     -> Option<InstanceAddr> {
        let a = b.body.attribute(name);
        let Some(a) = a else {
            diags.push(
                Diagnostic::new(&codes::E0260)
                    .with_primary(b.kind.span, format!("`{}` needs `{name}`", b.kind.name)),
            );
            return None;
        };
        let text = sources.snippet(a.value.span).trim().to_string();
        match text.parse::<InstanceAddr>() {
            Ok(x) => Some(x),
            Err(e) => {
                diags.push(
                    Diagnostic::new(&codes::E0261)
                        .with_primary(a.value.span, e.reason)
                        .with_help("Write a resource address such as `aws_instance.web` or `module.m.aws_instance.web[0]`."),
                );
                None
            }
        }
    };
    let mut r = Refactorings {
        moves: Vec::new(),
        removed: Vec::new(),
        imports: Vec::new(),
    };
    for b in &m.moved {
        if let (Some(from), Some(to)) = (addr_of(b, "from", diags), addr_of(b, "to", diags)) {
            r.moves.push((from, to));
        }
    }
    for b in &m.removed {
        if let Some(from) = addr_of(b, "from", diags) {
            r.removed.push(from);
        }
    }
    for b in &m.imports {
        let to = addr_of(b, "to", diags);
        match (to, b.body.attribute("id")) {
            (Some(to), Some(id)) => r.imports.push((to, id.value.clone())),
            (_, None) => diags.push(
                Diagnostic::new(&codes::E0260)
                    .with_primary(b.kind.span, "`import` needs `id`")
                    .with_help(
                        "Say which existing object to adopt: `import { to = TYPE.NAME, id = \"…\" }` (the provider's id, e.g. an instance id).",
                    ),
            ),
            (None, Some(_)) => {}
        }
    }
    r
}
