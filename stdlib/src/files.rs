//! File functions: `file fileexists templatefile`. Relative paths are resolved against
//! the calling module's directory ([`crate::CallContext::module_dir`]); files are read
//! through the context's [`World`](aic_lang::world::World).

use std::io::ErrorKind;
use std::path::PathBuf;

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_lang::world::Kind;

use crate::{args, builtin, CallContext, Category, Function, FunctionError};

pub(crate) fn functions() -> Vec<Function> {
    let f = |name, doc, body| Function::eager(name, Category::Files, doc, body);
    vec![
        f("file", file::DOC, file)
            .param("path", Type::String)
            .returns(Type::String),
        f("fileexists", fileexists::DOC, fileexists)
            .param("path", Type::String)
            .returns(Type::Bool),
        f("templatefile", templatefile::DOC, templatefile)
            .param("path", Type::String)
            .param("vars", Type::Any)
            .returns(Type::String),
    ]
}

fn resolve(ctx: &CallContext<'_>, args: &[Value]) -> Result<(String, PathBuf), FunctionError> {
    let path = args::string(args, 0)?;
    Ok((path.to_owned(), ctx.module_dir.join(path)))
}

/// Reads a UTF-8 file named by argument 0.
fn read(ctx: &CallContext<'_>, args: &[Value]) -> Result<String, FunctionError> {
    let (path, resolved) = resolve(ctx, args)?;
    let bytes = ctx.world.read(&resolved).map_err(|e| {
        let reason = match e.kind() {
            ErrorKind::NotFound => "there is no such file".to_owned(),
            _ => e.to_string(),
        };
        FunctionError::arg(
            0,
            format!(
                "cannot read {} ({}): {reason}",
                Value::string(path.as_str()),
                resolved.display()
            ),
        )
    })?;
    String::from_utf8(bytes).map_err(|_| {
        FunctionError::arg(
            0,
            format!("{} is not UTF-8 text", Value::string(path.as_str())),
        )
    })
}

builtin! {
    /// The contents of a UTF-8 text file, relative to the module's directory.
    ///
    /// `file("policies/compliance.rego")` is the text of that file.
    fn file(ctx, args) {
        read(ctx, args).map(Value::string)
    }
}

builtin! {
    /// Whether a file exists, relative to the module's directory. A directory at that
    /// path is an error.
    ///
    /// `fileexists("extra.sh")` is `true` when the module has that file.
    fn fileexists(ctx, args) {
        let (path, resolved) = resolve(ctx, args)?;
        match ctx.world.kind(&resolved) {
            Ok(Some(Kind::Dir)) => Err(FunctionError::arg(
                0,
                format!("{} is a directory, not a file", Value::string(path)),
            )),
            Ok(Some(Kind::File)) => Ok(Value::bool(true)),
            Ok(None) => Ok(Value::bool(false)),
            Err(e) => Err(FunctionError::arg(
                0,
                format!("cannot check {}: {e}", Value::string(path)),
            )),
        }
    }
}

builtin! {
    /// Renders a template file, relative to the module's directory, with the variables of
    /// an object or map: the file is a string template (`${name}` interpolations and
    /// directives) evaluated with those variables in scope.
    ///
    /// `templatefile("user-data.sh", { port = 8080 })` is the rendered script.
    fn templatefile(ctx, args) {
        let vars = args::get(args, 1)?;
        if vars.as_entries().is_none() {
            return Err(FunctionError::arg(
                1,
                format!("the variables must be an object or a map, found {}", vars.type_of()),
            ));
        }
        let Some(render) = ctx.render_template else {
            return Err(FunctionError::call(
                "templatefile is not available here: no template renderer was provided",
            ));
        };
        let text = read(ctx, args)?;
        let path = args::string(args, 0)?;
        render(&text, vars).map_err(|e| {
            FunctionError::arg(0, format!("in template {}: {e}", Value::string(path)))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use aic_lang::types::Type;
    use aic_lang::value::Value;
    use aic_lang::world::MemoryWorld;

    use crate::test_support::*;
    use crate::CallContext;

    /// A module directory in memory: a text file, a binary one and a subdirectory.
    struct Module {
        dir: std::path::PathBuf,
        world: MemoryWorld,
    }

    impl Module {
        fn new(name: &str) -> Module {
            let dir = std::path::PathBuf::from(format!("/modules/{name}"));
            let world = MemoryWorld::new()
                .with_file(dir.join("hello.txt"), "hello ${name}")
                .with_file(dir.join("binary.bin"), [0xffu8, 0xfe])
                .with_file(dir.join("sub/inner.txt"), "inner");
            Module { dir, world }
        }

        fn ctx(&self) -> CallContext<'_> {
            CallContext::new(&self.dir).with_world(&self.world)
        }
    }

    #[test]
    fn reading_files() {
        let m = Module::new("file");
        assert_eq!(
            render(call_in(&m.ctx(), "file", &[s("hello.txt")])),
            r#""hello $${name}""#
        );
        let missing = render(call_in(&m.ctx(), "file", &[s("nope.txt")]));
        assert!(
            missing.starts_with(r#"error(arg 0): cannot read "nope.txt" ("#)
                && missing.ends_with("): there is no such file"),
            "{missing}"
        );
        assert_eq!(
            render(call_in(&m.ctx(), "file", &[s("binary.bin")])),
            r#"error(arg 0): "binary.bin" is not UTF-8 text"#
        );
        assert!(
            render(call_in(&m.ctx(), "file", &[s("sub")])).starts_with("error(arg 0): cannot read")
        );
        assert_eq!(
            render(call_in(&m.ctx(), "file", &[Value::unknown(Type::String)])),
            "(known after apply)"
        );
    }

    #[test]
    fn checking_files() {
        let m = Module::new("exists");
        assert_eq!(
            render(call_in(&m.ctx(), "fileexists", &[s("hello.txt")])),
            "true"
        );
        assert_eq!(
            render(call_in(&m.ctx(), "fileexists", &[s("nope.txt")])),
            "false"
        );
        assert_eq!(
            render(call_in(&m.ctx(), "fileexists", &[s("sub")])),
            r#"error(arg 0): "sub" is a directory, not a file"#
        );
        let absolute = m.dir.join("hello.txt").display().to_string();
        let elsewhere = CallContext::new(Path::new("/nonexistent")).with_world(&m.world);
        assert_eq!(
            render(call_in(&elsewhere, "fileexists", &[s(&absolute)])),
            "true"
        );
    }

    #[test]
    fn rendering_templates() {
        let m = Module::new("template");
        let vars = Value::object([("name", s("world"))]);
        assert_eq!(
            render(call_in(
                &m.ctx(),
                "templatefile",
                &[s("hello.txt"), vars.clone()]
            )),
            "error: templatefile is not available here: no template renderer was provided"
        );
        let renderer = |text: &str, vars: &Value| -> Result<Value, String> {
            let name = vars.get("name").and_then(Value::as_str).ok_or("no name")?;
            Ok(Value::string(text.replace("${name}", name)))
        };
        let ctx = m.ctx().with_template_renderer(&renderer);
        assert_eq!(
            render(call_in(&ctx, "templatefile", &[s("hello.txt"), vars])),
            r#""hello world""#
        );
        assert_eq!(
            render(call_in(
                &ctx,
                "templatefile",
                &[s("hello.txt"), Value::object([("x", n(1.0))])]
            )),
            r#"error(arg 0): in template "hello.txt": no name"#
        );
        assert_eq!(
            render(call_in(&ctx, "templatefile", &[s("hello.txt"), s("x")])),
            "error(arg 1): the variables must be an object or a map, found string"
        );
        assert!(render(call_in(
            &ctx,
            "templatefile",
            &[s("nope"), Value::map([("a", s("b"))])]
        ))
        .starts_with("error(arg 0): cannot read"));
        assert_eq!(
            render(call_in(
                &ctx,
                "templatefile",
                &[
                    s("hello.txt"),
                    Value::object([("name", Value::unknown(Type::String))])
                ]
            )),
            "(known after apply)"
        );
    }
}
