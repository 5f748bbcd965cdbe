//! `aic console`: expressions evaluated in the root module's scope — variables, lets,
//! `env.*` of the selected environment, module outputs, and resources with the values
//! their state records (no provider is called; what the state does not hold is unknown).
//!
//! Must not read input or print: the CLI runs the prompt; this module turns one line
//! into a value or diagnostics.

use aic_lang::addr::{InstanceAddr, ModuleInstance};
use aic_lang::ast::ExprKind;
use aic_lang::diag::{suggest, Diagnostic};
use aic_lang::source::{FileId, SourceMap};
use aic_lang::syntax;
use aic_lang::types::Type;
use aic_lang::value::Value;

use crate::eval::Values;
use crate::graph::Node;
use crate::load::VariableArgs;
use crate::ops::{Observer, OpError, Project, StateSelector};
use crate::planner::{state_value, Workspace};

/// The configuration and state an expression is evaluated against.
pub struct Console {
    ws: Workspace,
    values: Values,
    /// The lines evaluated so far, for rendering their diagnostics.
    sources: SourceMap,
}

/// What one line gave.
pub enum Evaluated {
    Value(Value),
    /// Diagnostics, with the sources their spans point into.
    Failed(Vec<Diagnostic>),
}

impl Console {
    /// Loads the configuration for `environment` and the values of its state.
    pub fn open(
        project: &Project,
        environment: Option<&str>,
        variables: &VariableArgs,
        observer: &dyn Observer,
    ) -> Result<Console, OpError> {
        let ws = project.workspace(environment, variables, observer)?;
        let state = project.state(
            &StateSelector {
                environment: Some(ws.environment.clone()),
            },
            observer,
        )?;
        let mut values = Values::default();
        let recorded: std::collections::HashMap<InstanceAddr, &crate::state::ResourceState> = state
            .resources
            .iter()
            .filter_map(|rs| Some((rs.address.parse::<InstanceAddr>().ok()?, rs)))
            .collect();
        // The walk plan makes, with each resource's recorded value in place of a diff.
        let mut diagnostics = Vec::new();
        for idx in &ws.order {
            let Some(node) = ws.graph.graph.node_weight(*idx) else {
                continue;
            };
            match node {
                Node::Resource(addr) => {
                    let v = recorded.get(addr).map_or_else(
                        || Value::unknown(Type::Any),
                        |rs| state_value(&ws, rs, addr),
                    );
                    values.resources.insert(addr.clone(), v);
                }
                other => {
                    if let Err(d) = ws.eval_value_node(other, &mut values) {
                        diagnostics.push(d);
                    }
                }
            }
        }
        if !diagnostics.is_empty() {
            return Err(OpError::Diagnostics {
                sources: ws.sources.clone(),
                diagnostics,
            });
        }
        Ok(Console {
            sources: ws.sources.clone(),
            ws,
            values,
        })
    }

    /// The selected environment.
    pub fn environment(&self) -> &str {
        &self.ws.environment
    }

    /// Evaluates one expression in the root module's scope.
    pub fn eval(&mut self, line: &str) -> Evaluated {
        let file: FileId = self.sources.add("<console>", line.to_string());
        let expr = match syntax::parse_expr(file, line) {
            Ok(e) => e,
            Err(d) => return Evaluated::Failed(d),
        };
        // The walk's scope reads an undeclared variable as unknown (the checker reports
        // it in configurations); here the line is the only check.
        let declared = &self.ws.tree.module.variables;
        let mut undeclared = Vec::new();
        expr.visit(&mut |e| {
            if let ExprKind::GetAttr(base, name) = &e.kind {
                if matches!(&base.kind, ExprKind::Name(n) if n.name == "var")
                    && !declared.contains_key(&name.name)
                {
                    let d = Diagnostic::new(&aic_lang::codes::E0202)
                        .with_primary(name.span, format!("there is no variable `{}`", name.name));
                    undeclared.push(
                        match suggest(&name.name, declared.keys().map(String::as_str)) {
                            Some(s) => d.with_help(format!("Did you mean `{s}`?")),
                            None => d,
                        },
                    );
                }
            }
        });
        if !undeclared.is_empty() {
            return Evaluated::Failed(undeclared);
        }
        match self
            .ws
            .eval_in(&ModuleInstance::root(), None, None, &self.values, &expr)
        {
            Ok(v) => Evaluated::Value(v),
            Err(d) => Evaluated::Failed(vec![d]),
        }
    }

    /// The sources the diagnostics of [`Console::eval`] point into.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }
}

/// A value as the console prints it: `(sensitive value)` for a sensitive value,
/// `(known after apply)` for an unknown one, `.aic` literal syntax otherwise (sensitive
/// and unknown parts inside marked the same way).
pub fn show(value: &Value) -> String {
    if value.is_sensitive() {
        "(sensitive value)".to_string()
    } else {
        value.to_string()
    }
}
