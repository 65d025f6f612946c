//! No module imports another in a circle — neither file by file nor stage by
//! stage (the folders of src/core/). Read from the `use` lines and paths in the
//! source, as a reader would: so a new cycle fails here, not in review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod harness;

/// Module path of a source file: src/core/input/osc.rs → core::input::osc.
fn module_of(file: &Path, src: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// `use a::{b, c::{d}}` → a::b, a::c::d (one path per leaf).
fn expand(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else { return vec![path.to_string()] };
    let (prefix, rest) = (&path[..open], &path[open + 1..path.rfind('}').unwrap_or(path.len())]);
    let (mut parts, mut depth, mut start) = (vec![], 0, 0);
    for (i, ch) in rest.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&rest[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&rest[start..]);
    parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).flat_map(|p| expand(&format!("{prefix}{p}"))).collect()
}

/// Every path a file's code (before its test module) names with `crate::` or `super::`.
fn paths_in(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = vec![];
    for statement in code.split(';') {
        let s = statement.trim_start();
        let s = s.strip_prefix("pub ").unwrap_or(s);
        if let Some(u) = s.strip_prefix("use ") {
            let u: String = u.chars().filter(|c| !c.is_whitespace()).collect();
            out.extend(expand(&u.replace("self", "")));
        }
    }
    // Paths used in place (`crate::core::x::f(...)`).
    for (i, _) in code.match_indices("crate::").chain(code.match_indices("super::")) {
        let tail: String = code[i..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        out.push(tail);
    }
    out
}

struct Tree {
    modules: BTreeSet<Vec<String>>,
    /// `pub use stage::{a, b}` in a mod.rs: core::a → core::stage::a.
    aliases: BTreeMap<Vec<String>, Vec<String>>,
}

impl Tree {
    /// The module file a path points into (the longest known prefix).
    fn resolve(&self, from: &[String], is_mod_rs: bool, path: &str) -> Option<Vec<String>> {
        let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let mut base: Vec<String> = match *segments.first()? {
            "crate" => vec![],
            "super" => {
                let mut b = from.to_vec();
                // In a mod.rs, `super` is the folder's parent; in a file, the file's folder.
                let ups = segments.iter().take_while(|s| **s == "super").count() + usize::from(is_mod_rs) - 1;
                for _ in 0..=ups {
                    b.pop();
                }
                segments.retain(|s| *s != "super");
                segments.insert(0, "super");
                b
            }
            _ => return None,
        };
        for s in &segments[1..] {
            base.push(s.to_string());
            if let Some(real) = self.aliases.get(&base) {
                base = real.clone();
            }
        }
        while !base.is_empty() && !self.modules.contains(&base) {
            base.pop();
        }
        (!base.is_empty()).then_some(base)
    }
}

/// Strongly connected components of more than one node (Tarjan, iterative enough for a few hundred files).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    fn visit(
        v: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        index: &mut BTreeMap<String, (usize, usize)>,
        stack: &mut Vec<String>,
        out: &mut Vec<Vec<String>>,
    ) {
        let i = index.len();
        index.insert(v.to_string(), (i, i));
        stack.push(v.to_string());
        for w in edges.get(v).into_iter().flatten() {
            if !index.contains_key(w) {
                visit(w, edges, index, stack, out);
                let low = index[w].1.min(index[v].1);
                index.get_mut(v).unwrap().1 = low;
            } else if stack.contains(w) {
                let low = index[w].0.min(index[v].1);
                index.get_mut(v).unwrap().1 = low;
            }
        }
        if index[v].0 == index[v].1 {
            let mut component = vec![];
            while let Some(w) = stack.pop() {
                let done = w == v;
                component.push(w);
                if done {
                    break;
                }
            }
            if component.len() > 1 {
                out.push(component);
            }
        }
    }
    let (mut index, mut stack, mut out) = (BTreeMap::new(), vec![], vec![]);
    for v in edges.keys() {
        if !index.contains_key(v) {
            visit(v, edges, &mut index, &mut stack, &mut out);
        }
    }
    out
}

fn graph(src: &Path, within: &str) -> (BTreeMap<String, BTreeSet<String>>, BTreeMap<String, BTreeSet<String>>) {
    let files: Vec<PathBuf> = harness::files_with_extension(src, "rs");
    let mut tree = Tree { modules: BTreeSet::new(), aliases: BTreeMap::new() };
    for f in &files {
        tree.modules.insert(module_of(f, src));
    }
    // `pub use stage::{x, y}` in a mod.rs re-exports stage::x as x.
    for f in files.iter().filter(|f| f.ends_with("mod.rs")) {
        let here = module_of(f, src);
        for line in std::fs::read_to_string(f).unwrap().lines() {
            if let Some(rest) = line.trim().strip_prefix("pub use ") {
                for p in expand(&rest.trim_end_matches(';').replace(' ', "")) {
                    let parts: Vec<&str> = p.split("::").collect();
                    if parts.len() == 2 {
                        let (mut real, mut alias) = (here.clone(), here.clone());
                        real.extend(parts.iter().map(|s| s.to_string()));
                        alias.push(parts[1].to_string());
                        tree.aliases.insert(alias, real);
                    }
                }
            }
        }
    }
    let (mut files_graph, mut stages_graph) = (BTreeMap::new(), BTreeMap::new());
    // A stage is core's first level (core::input, core::engine, …).
    let stage = |m: &[String]| m.iter().take(2).cloned().collect::<Vec<_>>().join("::");
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy();
        let from = module_of(f, src);
        if name.ends_with("_tests.rs") || !from.join("::").starts_with(within) {
            continue;
        }
        for p in paths_in(&std::fs::read_to_string(f).unwrap()) {
            let Some(to) = tree.resolve(&from, name == "mod.rs", &p) else { continue };
            // A folder's own mod.rs (declaring its modules) is not an import.
            if to == from || from.starts_with(&to) || !to.join("::").starts_with(within) {
                continue;
            }
            files_graph.entry(from.join("::")).or_insert_with(BTreeSet::new).insert(to.join("::"));
            if stage(&from) != stage(&to) {
                stages_graph.entry(stage(&from)).or_insert_with(BTreeSet::new).insert(stage(&to));
            }
        }
    }
    (files_graph, stages_graph)
}

#[test]
fn core_has_no_import_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (files, stages) = graph(&src, "core");
    assert!(files.len() > 10, "the scan must see the core's imports: {files:?}");
    assert!(stages.get("core::engine").is_some_and(|s| s.contains("core::input")), "engine uses input: {stages:?}");
    assert_eq!(cycles(&files), Vec::<Vec<String>>::new(), "file cycles");
    assert_eq!(cycles(&stages), Vec::<Vec<String>>::new(), "stage cycles: {stages:#?}");
}

#[test]
fn the_check_finds_a_cycle() {
    let mut edges = BTreeMap::new();
    edges.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    edges.insert("b".to_string(), BTreeSet::from(["c".to_string()]));
    edges.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(cycles(&edges).len(), 1);
    assert_eq!(expand("super::{a::B, c::{d, e}}"), vec!["super::a::B", "super::c::d", "super::c::e"]);
}

/// The Pd shell too (its layers are listed in src/pd/mod.rs).
#[test]
fn shell_has_no_import_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (files, _) = graph(&src, "pd");
    assert!(files.contains_key("pd::entry"), "the scan must see the shell's imports: {files:?}");
    assert_eq!(cycles(&files), Vec::<Vec<String>>::new(), "file cycles in src/pd");
}
