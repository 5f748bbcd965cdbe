//! The standard modules (`std:NAME`), embedded in the library at build time from
//! `stdlib/modules/` (by `build.rs`), so that an installed `aic` does not need its
//! source tree. The engine writes them out where the loader reads them.

/// Every file of every standard module: its path relative to `stdlib/modules`
/// (`regional/main.aic`, always with `/`) and its text.
pub const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/modules.rs"));

/// A digest of every file's path and text (FNV-1a): it names the directory the modules
/// are written to, so that binaries with different modules do not share one.
pub fn digest() -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (path, text) in FILES {
        for b in path.bytes().chain([0]).chain(text.bytes()).chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_file_is_embedded_with_its_text() {
        let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
        let root = std::path::Path::new(&manifest).join("modules");
        let regional = FILES
            .iter()
            .find(|(p, _)| *p == "regional/main.aic")
            .expect("std:regional embedded");
        assert_eq!(
            regional.1,
            std::fs::read_to_string(root.join("regional/main.aic")).unwrap()
        );
        assert!(FILES.iter().all(|(p, _)| !p.contains('\\')));
    }
}
