//! Hashing and id functions: `sha1 sha256 sha512 md5 uuidv5 bcrypt`.

use std::fmt::Write as _;

use ::md5::Md5;
use ::sha1::{Digest, Sha1};
use ::sha2::{Sha256, Sha512};
use aic_lang::types::Type;
use aic_lang::value::Value;
use uuid::Uuid;

use crate::{args, builtin, Category, EvalStage, Function, FunctionError};

/// The bcrypt cost when none is given.
const DEFAULT_BCRYPT_COST: i64 = 10;

pub(crate) fn functions() -> Vec<Function> {
    let f = |name, doc, body| Function::eager(name, Category::Hashing, doc, body);
    let digest = |name, doc, body| {
        f(name, doc, body)
            .param("string", Type::String)
            .returns(Type::String)
    };
    vec![
        digest("sha1", sha1::DOC, sha1),
        digest("sha256", sha256::DOC, sha256),
        digest("sha512", sha512::DOC, sha512),
        digest("md5", md5::DOC, md5),
        f("uuidv5", uuidv5::DOC, uuidv5)
            .param("namespace", Type::String)
            .param("name", Type::String)
            .returns(Type::String),
        f("bcrypt", bcrypt::DOC, bcrypt)
            .param("string", Type::String)
            .optional("cost", Type::Number)
            .returns(Type::String)
            .nondeterministic(),
    ]
}

fn hex_digest<D: Digest>(args: &[Value]) -> Result<Value, FunctionError> {
    let bytes = D::digest(args::string(args, 0)?.as_bytes());
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    Ok(Value::string(out))
}

builtin! {
    /// The SHA-1 digest of the string's UTF-8 bytes, in lower-case hex.
    ///
    /// `sha1("hello")` is `"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"`.
    fn sha1(_ctx, args) {
        hex_digest::<Sha1>(args)
    }
}

builtin! {
    /// The SHA-256 digest of the string's UTF-8 bytes, in lower-case hex.
    fn sha256(_ctx, args) {
        hex_digest::<Sha256>(args)
    }
}

builtin! {
    /// The SHA-512 digest of the string's UTF-8 bytes, in lower-case hex.
    fn sha512(_ctx, args) {
        hex_digest::<Sha512>(args)
    }
}

builtin! {
    /// The MD5 digest of the string's UTF-8 bytes, in lower-case hex. For checksums only,
    /// never for security.
    fn md5(_ctx, args) {
        hex_digest::<Md5>(args)
    }
}

builtin! {
    /// A name-based (version 5) UUID: the same namespace and name always give the same
    /// UUID. The namespace is `"dns"`, `"url"`, `"oid"`, `"x500"` or a UUID.
    ///
    /// `uuidv5("dns", "example.com")` is `"cfbff0d1-9375-5685-968c-48ce8b15ae17"`.
    fn uuidv5(_ctx, args) {
        let namespace = match args::string(args, 0)? {
            "dns" => Uuid::NAMESPACE_DNS,
            "url" => Uuid::NAMESPACE_URL,
            "oid" => Uuid::NAMESPACE_OID,
            "x500" => Uuid::NAMESPACE_X500,
            other => Uuid::parse_str(other).map_err(|_| {
                FunctionError::arg(
                    0,
                    format!(
                        "the namespace must be \"dns\", \"url\", \"oid\", \"x500\" or a UUID, got {}",
                        Value::string(other)
                    ),
                )
            })?,
        };
        let name = args::string(args, 1)?;
        Ok(Value::string(Uuid::new_v5(&namespace, name.as_bytes()).to_string()))
    }
}

builtin! {
    /// A bcrypt hash of the string with a random salt, at `cost` (4 to 31, default 10).
    ///
    /// The salt makes every call differ, so the hash is known only after apply: during
    /// plan the result is unknown.
    fn bcrypt(ctx, args) {
        let cost = match args::optional(args, 1) {
            Some(_) => args::integer(args, 1)?,
            None => DEFAULT_BCRYPT_COST,
        };
        let cost = u32::try_from(cost)
            .ok()
            .filter(|c| (4..=31).contains(c))
            .ok_or_else(|| FunctionError::arg(1, format!("the cost must be from 4 to 31, got {cost}")))?;
        let password = args::string(args, 0)?;
        match ctx.stage {
            EvalStage::Plan => Ok(Value::unknown(Type::String)),
            // `$2a$`, as Terraform writes it (Go's bcrypt).
            EvalStage::Apply => ::bcrypt::hash_with_result(password, cost)
                .map(|parts| Value::string(parts.format_for_version(::bcrypt::Version::TwoA)))
                .map_err(|e| FunctionError::call(format!("bcrypt failed: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use aic_lang::value::Value;

    use crate::test_support::*;
    use crate::EvalStage;

    #[test]
    fn digests() {
        assert_eq!(
            show("sha1", &[s("hello")]),
            r#""aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d""#
        );
        assert_eq!(
            show("sha256", &[s("hello")]),
            r#""2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824""#
        );
        assert_eq!(
            show("sha512", &[s("")]),
            r#""cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e""#
        );
        assert_eq!(
            show("md5", &[s("hello")]),
            r#""5d41402abc4b2a76b9719d911017c592""#
        );
        assert_eq!(
            show("md5", &[n(1.0)]),
            "error(arg 0): invalid value for `string`: expected string, found number"
        );
        let secret = call("sha256", &[s("pw").mark_sensitive()]);
        assert_eq!(secret.map(|v| v.is_sensitive()), Ok(true));
    }

    #[test]
    fn uuids() {
        assert_eq!(
            show("uuidv5", &[s("dns"), s("example.com")]),
            r#""cfbff0d1-9375-5685-968c-48ce8b15ae17""#
        );
        assert_eq!(
            show("uuidv5", &[s("url"), s("https://example.com")]),
            show(
                "uuidv5",
                &[
                    s("6ba7b811-9dad-11d1-80b4-00c04fd430c8"),
                    s("https://example.com")
                ]
            )
        );
        assert!(show("uuidv5", &[s("oid"), s("1.2")]).len() == 38);
        assert!(show("uuidv5", &[s("x500"), s("cn=a")]).len() == 38);
        assert_eq!(
            show("uuidv5", &[s("nope"), s("x")]),
            r#"error(arg 0): the namespace must be "dns", "url", "oid", "x500" or a UUID, got "nope""#
        );
    }

    #[test]
    fn bcrypt_is_unknown_until_apply() {
        assert_eq!(show("bcrypt", &[s("pw")]), "(known after apply)");
        let apply = ctx().with_stage(EvalStage::Apply);
        let hash = call_in(&apply, "bcrypt", &[s("pw"), n(4.0)]);
        let text = hash
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        assert!(text.starts_with("$2a$04$"), "{text}");
        assert_eq!(
            show("bcrypt", &[s("pw"), n(3.0)]),
            "error(arg 1): the cost must be from 4 to 31, got 3"
        );
        assert_eq!(
            show("bcrypt", &[s("pw"), n(4.5)]),
            "error(arg 1): expected a whole number, found 4.5"
        );
        assert_eq!(
            show("bcrypt", &[s("pw"), Value::null()]),
            "error(arg 1): `cost` must not be null"
        );
    }
}
