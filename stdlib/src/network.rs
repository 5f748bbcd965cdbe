//! Network functions: `cidrsubnet cidrsubnets cidrhost cidrnetmask`, for IPv4 and IPv6
//! prefixes in CIDR notation.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use aic_lang::types::Type;
use aic_lang::value::Value;
use ipnet::IpNet;

use crate::{args, builtin, Category, Function, FunctionError};

pub(crate) fn functions() -> Vec<Function> {
    let f = |name, doc, body| Function::eager(name, Category::Network, doc, body);
    vec![
        f("cidrsubnet", cidrsubnet::DOC, cidrsubnet)
            .param("prefix", Type::String)
            .param("newbits", Type::Number)
            .param("netnum", Type::Number)
            .returns(Type::String),
        f("cidrsubnets", cidrsubnets::DOC, cidrsubnets)
            .param("prefix", Type::String)
            .variadic("newbits", Type::Number)
            .returns(Type::list(Type::String)),
        f("cidrhost", cidrhost::DOC, cidrhost)
            .param("prefix", Type::String)
            .param("hostnum", Type::Number)
            .returns(Type::String),
        f("cidrnetmask", cidrnetmask::DOC, cidrnetmask)
            .param("prefix", Type::String)
            .returns(Type::String),
    ]
}

/// A network prefix as numbers: its first address, its length and the address width.
#[derive(Clone, Copy)]
struct Prefix {
    base: u128,
    len: u32,
    width: u32,
}

impl Prefix {
    fn parse(args: &[Value], i: usize) -> Result<Prefix, FunctionError> {
        let text = args::string(args, i)?;
        let net: IpNet = text.parse().map_err(|_| {
            FunctionError::arg(
                i,
                format!(
                    "{} is not a prefix in CIDR notation (such as \"10.0.0.0/16\")",
                    Value::string(text)
                ),
            )
        })?;
        let net = net.trunc();
        Ok(match net.network() {
            IpAddr::V4(a) => Prefix {
                base: u128::from(u32::from(a)),
                len: u32::from(net.prefix_len()),
                width: 32,
            },
            IpAddr::V6(a) => Prefix {
                base: u128::from(a),
                len: u32::from(net.prefix_len()),
                width: 128,
            },
        })
    }

    /// The number of addresses in a block of prefix length `len`.
    fn block(&self, len: u32) -> u128 {
        1u128.checked_shl(self.width - len).unwrap_or(0)
    }

    fn address(&self, n: u128) -> String {
        if self.width == 32 {
            Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX)).to_string()
        } else {
            Ipv6Addr::from(n).to_string()
        }
    }

    /// The prefix length after adding `newbits` (argument `arg`), checked to fit.
    fn extend(&self, args: &[Value], arg: usize) -> Result<u32, FunctionError> {
        let newbits = args::count(args, arg)?;
        let len = u32::try_from(newbits)
            .ok()
            .and_then(|n| n.checked_add(self.len))
            .filter(|len| *len <= self.width)
            .ok_or_else(|| {
                FunctionError::arg(
                    arg,
                    format!(
                        "adding {newbits} bits to a /{} prefix needs more than the {} bits of an {} address",
                        self.len,
                        self.width,
                        if self.width == 32 { "IPv4" } else { "IPv6" }
                    ),
                )
            })?;
        Ok(len)
    }
}

builtin! {
    /// The `netnum`-th subnet of a prefix, `newbits` bits longer.
    ///
    /// `cidrsubnet("10.0.0.0/16", 8, 2)` is `"10.0.2.0/24"`.
    fn cidrsubnet(_ctx, args) {
        let prefix = Prefix::parse(args, 0)?;
        let len = prefix.extend(args, 1)?;
        let netnum = args::integer(args, 2)?;
        let count = 1u128.checked_shl(len - prefix.len).unwrap_or(u128::MAX);
        let netnum = u128::try_from(netnum)
            .ok()
            .filter(|n| *n < count)
            .ok_or_else(|| {
                FunctionError::arg(
                    2,
                    format!("netnum {netnum} is outside the {count} subnets of that size"),
                )
            })?;
        let base = prefix.base + netnum * prefix.block(len);
        Ok(Value::string(format!("{}/{len}", prefix.address(base))))
    }
}

builtin! {
    /// Consecutive subnets of a prefix, one per `newbits` argument (1 to 32), each
    /// aligned to its size and placed after the previous one.
    ///
    /// `cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)` is
    /// `["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"]`.
    fn cidrsubnets(_ctx, args) {
        let prefix = Prefix::parse(args, 0)?;
        // A block size of 0 stands for the whole IPv6 space (2^128 addresses).
        let last = prefix.base.wrapping_add(prefix.block(prefix.len).wrapping_sub(1));
        // The first free address; `None` once the space is used up.
        let mut next = Some(prefix.base);
        let mut out = Vec::new();
        for arg in 1..args.len() {
            // As Terraform: each subnet is 1 to 32 bits longer than the prefix.
            let newbits = args::count(args, arg)?;
            if !(1..=32).contains(&newbits) {
                return Err(FunctionError::arg(
                    arg,
                    format!("each subnet must be 1 to 32 bits longer than the prefix, got {newbits}"),
                ));
            }
            let len = prefix.extend(args, arg)?;
            let block = prefix.block(len);
            let placed = next.and_then(|next| {
                let start = match block {
                    0 => Some(next),
                    _ => next.div_ceil(block).checked_mul(block),
                }?;
                let end = start.checked_add(block.wrapping_sub(1))?;
                (end <= last).then_some((start, end))
            });
            let Some((start, end)) = placed else {
                return Err(FunctionError::arg(
                    arg,
                    format!("not enough room left in the prefix for a /{len} subnet"),
                ));
            };
            out.push(Value::string(format!("{}/{len}", prefix.address(start))));
            next = end.checked_add(1);
        }
        Ok(Value::list(out))
    }
}

builtin! {
    /// The address of host number `hostnum` in a prefix; a negative number counts back
    /// from the end.
    ///
    /// `cidrhost("10.0.1.0/24", 5)` is `"10.0.1.5"`; `cidrhost("10.0.1.0/24", -2)` is
    /// `"10.0.1.254"`.
    fn cidrhost(_ctx, args) {
        let prefix = Prefix::parse(args, 0)?;
        let hostnum = args::integer(args, 1)?;
        let size = prefix.block(prefix.len);
        let magnitude = u128::from(hostnum.unsigned_abs());
        let offset = if hostnum >= 0 {
            (magnitude < size || size == 0).then_some(magnitude)
        } else {
            (magnitude <= size || size == 0).then(|| size.wrapping_sub(magnitude))
        };
        let offset = offset.ok_or_else(|| {
            FunctionError::arg(
                1,
                format!("host number {hostnum} is outside the {size} addresses of the prefix"),
            )
        })?;
        Ok(Value::string(prefix.address(prefix.base.wrapping_add(offset))))
    }
}

builtin! {
    /// The netmask of a prefix, written as an address: dotted for IPv4, and in IPv6
    /// notation for IPv6 (as Terraform 1.0 does).
    ///
    /// `cidrnetmask("172.16.0.0/12")` is `"255.240.0.0"`; `cidrnetmask("fd00::/64")` is
    /// `"ffff:ffff:ffff:ffff::"`.
    fn cidrnetmask(_ctx, args) {
        let prefix = Prefix::parse(args, 0)?;
        if prefix.width == 32 {
            let mask = u32::MAX.checked_shl(32 - prefix.len).unwrap_or(0);
            return Ok(Value::string(Ipv4Addr::from(mask).to_string()));
        }
        let mask = u128::MAX.checked_shl(128 - prefix.len).unwrap_or(0);
        Ok(Value::string(Ipv6Addr::from(mask).to_string()))
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn subnets() {
        assert_eq!(
            show("cidrsubnet", &[s("10.0.0.0/16"), n(8.0), n(2.0)]),
            r#""10.0.2.0/24""#
        );
        assert_eq!(
            show("cidrsubnet", &[s("10.0.5.9/16"), n(0.0), n(0.0)]),
            r#""10.0.0.0/16""#
        );
        assert_eq!(
            show(
                "cidrsubnet",
                &[s("fd00:fd12:3456:7890::/56"), n(16.0), n(162.0)]
            ),
            r#""fd00:fd12:3456:7800:a200::/72""#
        );
        assert_eq!(
            show("cidrsubnet", &[s("10.0.0.0/16"), n(8.0), n(256.0)]),
            "error(arg 2): netnum 256 is outside the 256 subnets of that size"
        );
        assert_eq!(
            show("cidrsubnet", &[s("10.0.0.0/16"), n(17.0), n(0.0)]),
            "error(arg 1): adding 17 bits to a /16 prefix needs more than the 32 bits of an IPv4 address"
        );
        assert_eq!(
            show("cidrsubnet", &[s("10.0.0.0"), n(8.0), n(0.0)]),
            r#"error(arg 0): "10.0.0.0" is not a prefix in CIDR notation (such as "10.0.0.0/16")"#
        );
        assert_eq!(
            show("cidrsubnet", &[s("10.0.0.0/16"), n(-1.0), n(0.0)]),
            "error(arg 1): must not be negative, got -1"
        );
        assert_eq!(
            show("cidrsubnet", &[s("10.0.0.0/16"), n(4.0), n(-1.0)]),
            "error(arg 2): netnum -1 is outside the 16 subnets of that size"
        );
    }

    #[test]
    fn consecutive_subnets() {
        assert_eq!(
            show(
                "cidrsubnets",
                &[s("10.1.0.0/16"), n(4.0), n(4.0), n(8.0), n(4.0)]
            ),
            r#"["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"]"#
        );
        assert_eq!(
            show(
                "cidrsubnets",
                &[s("fd00:fd12:3456:7890::/56"), n(16.0), n(16.0)]
            ),
            r#"["fd00:fd12:3456:7800::/72", "fd00:fd12:3456:7800:100::/72"]"#
        );
        assert_eq!(show("cidrsubnets", &[s("10.0.0.0/8")]), "[]");
        assert_eq!(
            show("cidrsubnets", &[s("::/0"), n(1.0), n(1.0)]),
            r#"["::/1", "8000::/1"]"#
        );
        assert_eq!(
            show("cidrsubnets", &[s("::/0"), n(1.0), n(1.0), n(1.0)]),
            "error(arg 3): not enough room left in the prefix for a /1 subnet"
        );
        assert_eq!(
            show("cidrsubnets", &[s("10.0.0.0/24"), n(1.0), n(1.0), n(1.0)]),
            "error(arg 3): not enough room left in the prefix for a /25 subnet"
        );
        assert_eq!(
            show("cidrsubnets", &[s("10.0.0.0/24"), n(9.0)]),
            "error(arg 1): adding 9 bits to a /24 prefix needs more than the 32 bits of an IPv4 address"
        );
        assert_eq!(
            show("cidrsubnets", &[s("10.0.0.0/16"), n(8.0), n(0.0)]),
            "error(arg 2): each subnet must be 1 to 32 bits longer than the prefix, got 0"
        );
        assert_eq!(
            show("cidrsubnets", &[s("fd00::/32"), n(33.0)]),
            "error(arg 1): each subnet must be 1 to 32 bits longer than the prefix, got 33"
        );
        // `cidrsubnet` has no such limit.
        assert_eq!(
            show("cidrsubnet", &[s("fd00::/32"), n(33.0), n(1.0)]),
            r#""fd00::8000:0:0:0/65""#
        );
    }

    #[test]
    fn hosts() {
        assert_eq!(
            show("cidrhost", &[s("10.0.1.0/24"), n(5.0)]),
            r#""10.0.1.5""#
        );
        assert_eq!(
            show("cidrhost", &[s("10.0.1.0/24"), n(-2.0)]),
            r#""10.0.1.254""#
        );
        assert_eq!(
            show("cidrhost", &[s("10.0.1.0/24"), n(-256.0)]),
            r#""10.0.1.0""#
        );
        assert_eq!(
            show("cidrhost", &[s("fd00:fd12:3456:7890:00a2::/72"), n(5.0)]),
            r#""fd00:fd12:3456:7890::5""#
        );
        assert_eq!(
            show("cidrhost", &[s("::/0"), n(-1.0)]),
            r#""ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff""#
        );
        assert_eq!(
            show("cidrhost", &[s("10.0.1.0/24"), n(256.0)]),
            "error(arg 1): host number 256 is outside the 256 addresses of the prefix"
        );
        assert_eq!(
            show("cidrhost", &[s("10.0.1.0/24"), n(-257.0)]),
            "error(arg 1): host number -257 is outside the 256 addresses of the prefix"
        );
        assert_eq!(
            show("cidrhost", &[s("10.0.1.0/24"), n(1.5)]),
            "error(arg 1): expected a whole number, found 1.5"
        );
    }

    #[test]
    fn netmasks() {
        assert_eq!(
            show("cidrnetmask", &[s("172.16.0.0/12")]),
            r#""255.240.0.0""#
        );
        assert_eq!(show("cidrnetmask", &[s("0.0.0.0/0")]), r#""0.0.0.0""#);
        assert_eq!(
            show("cidrnetmask", &[s("10.0.0.1/32")]),
            r#""255.255.255.255""#
        );
        assert_eq!(show("cidrnetmask", &[s("fd00::/8")]), r#""ff00::""#);
        assert_eq!(
            show("cidrnetmask", &[s("fd00::/64")]),
            r#""ffff:ffff:ffff:ffff::""#
        );
        assert!(show("cidrnetmask", &[s("300.0.0.0/8")]).starts_with("error(arg 0)"));
    }
}
