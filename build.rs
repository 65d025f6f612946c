//! Pd bindings for the target and float size being built.
//!
//! pd-sys covers most of Pd's API and stays for it. What it lacks or gets wrong
//! for a given target and float size (`class_new64`, `garray_class`,
//! `get_sys_schedadvance`, `t_int` = `long long` on Win64, `t_object`'s size under
//! mingw's bitfield layout, `t_sample`/`t_signal` in pd64) is generated here with
//! bindgen from Pd's headers (`m_pd.h`, one `s_stuff.h` declaration), for the
//! target's C ABI and `PD_FLOATSIZE`. `src/pd/c/shim.c` (compiled with `cc` by the
//! target's C compiler) holds what C offers only as macros.
//!
//! Fallback: without libclang, or without Pd's headers, the pre-generated copy in
//! `src/pd/bindings/<target>-<floatsize>.rs` is used (a cargo warning says so).
//! `tests/bindings_current.rs` checks the copy for the host is current;
//! `FSYNC_CHECK_BINDINGS=1` makes any difference an error (scripts/package.sh);
//! `FSYNC_WRITE_BINDINGS=1` rewrites the copy (scripts/bindings.sh).
//!
//! Environment: `PD_INCLUDE_DIR` (the folder holding m_pd.h; default
//! /usr/include/pd, /usr/local/include/pd).

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let target = env::var("TARGET").unwrap();
    let float_size = if env::var_os("CARGO_FEATURE_PD64").is_some() { 64 } else { 32 };
    let c_dir = manifest.join("src/pd/c");
    let checked_in = manifest.join(format!("src/pd/bindings/{target}-{float_size}.rs"));
    let generated_path = out.join("pd_bindings.rs");

    for var in ["PD_INCLUDE_DIR", "FSYNC_CHECK_BINDINGS", "FSYNC_WRITE_BINDINGS", "LIBCLANG_PATH"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=src/pd/c");
    println!("cargo:rerun-if-changed={}", checked_in.display());
    println!("cargo::rustc-check-cfg=cfg(fsync_c_shim)");

    let headers = pd_include_dir();
    let generated = match &headers {
        Some(dir) => generate(dir, &c_dir, &target, float_size),
        None => Err("Pd's headers (m_pd.h) not found: install puredata-dev or set PD_INCLUDE_DIR".to_string()),
    };

    let bindings = match generated {
        Ok(text) => {
            let current = std::fs::read_to_string(&checked_in).ok();
            if env::var_os("FSYNC_WRITE_BINDINGS").is_some() {
                std::fs::create_dir_all(checked_in.parent().unwrap()).unwrap();
                std::fs::write(&checked_in, &text).unwrap();
            } else if current.as_deref() != Some(text.as_str()) {
                let what = if current.is_some() { "differs from" } else { "is missing as" };
                let message = format!(
                    "the bindings generated for {target} ({float_size}-bit floats) {what} the checked-in fallback {}: run scripts/bindings.sh",
                    checked_in.display()
                );
                if env::var_os("FSYNC_CHECK_BINDINGS").is_some() {
                    panic!("{message}");
                }
                println!("cargo:warning={message}");
            }
            println!("cargo:rustc-env=FSYNC_BINDINGS_FROM=bindgen");
            text
        }
        Err(reason) => {
            let text = std::fs::read_to_string(&checked_in).unwrap_or_else(|_| {
                panic!("cannot generate Pd bindings ({reason}) and there is no pre-generated copy for {target} ({float_size}-bit floats) at {}", checked_in.display())
            });
            println!("cargo:warning=using the pre-generated Pd bindings {} ({reason})", checked_in.display());
            println!("cargo:rustc-env=FSYNC_BINDINGS_FROM=fallback");
            text
        }
    };
    std::fs::write(&generated_path, &bindings).unwrap();
    println!("cargo:rustc-env=FSYNC_BINDINGS_USED={}", generated_path.display());
    println!("cargo:rustc-env=FSYNC_BINDINGS_CHECKED_IN={}", checked_in.display());

    // The shim needs Pd's headers; without them the Rust side does the macros' work.
    // (Rewriting the bindings needs no C compiler for the target: no shim then.)
    if let (Some(dir), None) = (&headers, env::var_os("FSYNC_WRITE_BINDINGS")) {
        compile_shim(dir, &c_dir, &target, float_size, &bindings);
        println!("cargo:rustc-cfg=fsync_c_shim");
    } else {
        println!("cargo:warning=no Pd headers: building without the C shim (its layout checks do not run)");
    }
}

fn pd_include_dir() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match env::var_os("PD_INCLUDE_DIR") {
        Some(dir) => vec![dir.into()],
        None => vec!["/usr/include/pd".into(), "/usr/local/include/pd".into()],
    };
    candidates.into_iter().find(|d| d.join("m_pd.h").is_file() && d.join("s_stuff.h").is_file())
}

/// Only what pd-sys lacks or gets wrong; pd-sys's own types are reused by name
/// (`use pd_sys::…` in src/pd/bindings.rs) so the two fit together.
fn generate(headers: &Path, c_dir: &Path, target: &str, float_size: u32) -> Result<String, String> {
    // The bindings are made freestanding (own stdio.h stub, clang's builtin
    // headers): extra include paths, e.g. cargo-zigbuild's zig headers meant for a
    // newer clang, would only make them depend on the build machine.
    for (name, _) in env::vars_os() {
        if name.to_string_lossy().starts_with("BINDGEN_EXTRA_CLANG_ARGS") {
            // SAFETY: the build script is single-threaded here; nothing else reads the environment.
            unsafe { env::remove_var(&name) };
        }
    }
    let mut builder = bindgen::Builder::default()
        .header(c_dir.join("bindings.h").display().to_string())
        .clang_arg(format!("--target={}", clang_target(target)))
        .clang_arg("-ffreestanding")
        .clang_arg(format!("-DPD_FLOATSIZE={float_size}"))
        .clang_arg(format!("-I{}", c_dir.join("stub-include").display()))
        .clang_arg(format!("-I{}", c_dir.display()))
        .clang_arg(format!("-I{}", headers.display()))
        .use_core()
        .ctypes_prefix("::core::ffi")
        .layout_tests(true)
        .derive_default(false)
        .derive_debug(false)
        .generate_comments(false)
        .allowlist_type("t_int|t_float|t_floatarg|t_sample|t_object|t_signal|t_atom|t_perfroutine")
        .allowlist_function("class_new|class_new64|get_sys_schedadvance|dsp_addv|fsync_class_new_gimme|fsync_class_addfloat|fsync_garray_class|fsync_signal_symbol")
        .allowlist_var("garray_class")
        // pd-sys's types where they are right on every target (opaque or
        // pointer-only): the generated functions take and return them.
        .blocklist_type("_class|t_class|_symbol|t_symbol|t_method|t_newmethod")
        .blocklist_type("_binbuf|t_binbuf|_outlet|t_outlet|_inlet|t_inlet")
        .raw_line("// Generated by build.rs with bindgen from Pd's m_pd.h / s_stuff.h; do not edit.")
        .raw_line(format!("// Target {target}, PD_FLOATSIZE {float_size}."));
    if target.contains("windows-gnu") {
        // What mingw-w64 gcc (which builds Pd for Windows) does by default:
        // t_text's `te_type:2` bitfield starts a new `unsigned int`.
        builder = builder.clang_arg("-mms-bitfields");
    }
    // bindgen panics when libclang cannot be loaded: that is a fallback case too.
    let generated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.generate()))
        .map_err(|_| "libclang could not be loaded".to_string())?;
    let bindings = generated.map_err(|e| format!("bindgen failed: {e}"))?;
    Ok(bindings.to_string())
}

fn clang_target(rust_target: &str) -> String {
    match rust_target {
        "x86_64-pc-windows-gnu" => "x86_64-w64-mingw32".into(),
        "aarch64-apple-darwin" => "arm64-apple-macosx11.0".into(),
        "x86_64-apple-darwin" => "x86_64-apple-macosx10.12".into(),
        t => t.replace("-unknown-", "-").replace("linux-gnu.2", "linux-gnu"),
    }
}

/// `["Size of NAME"][size_of::<NAME>() - N]` in bindgen's layout checks.
fn size_from_layout_checks(bindings: &str, name: &str) -> usize {
    let key = format!("[\"Size of {name}\"][::core::mem::size_of::<{name}>() - ");
    let at = bindings.find(&key).unwrap_or_else(|| panic!("no size of {name} in the bindings")) + key.len();
    let digits: String = bindings[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

fn compile_shim(headers: &Path, c_dir: &Path, target: &str, float_size: u32, bindings: &str) {
    let mut build = cc::Build::new();
    build
        .file(c_dir.join("shim.c"))
        .include(c_dir)
        .include(headers)
        .define("PD_FLOATSIZE", float_size.to_string().as_str())
        .define("FSYNC_FLOATSIZE", float_size.to_string().as_str())
        .define("FSYNC_SIZEOF_T_OBJECT", size_from_layout_checks(bindings, "_text").to_string().as_str())
        .define("FSYNC_SIZEOF_T_ATOM", size_from_layout_checks(bindings, "_atom").to_string().as_str())
        .warnings(true);
    if target.contains("windows") {
        // m_pd.h marks Pd's API dllimport unless PD_INTERNAL: resolved through the
        // import library made from Pd's exported symbols (scripts/cross.sh).
        build.flag_if_supported("-mms-bitfields");
    }
    build.compile("fsync_pd_shim");
}
