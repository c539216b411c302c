//! No import cycles between the engine's top-level modules: every
//! `crate::` path in `src/**/*.rs` (in `use` lines and in code) is an edge
//! from the module the file belongs to to the module the path names, and
//! the graph of those edges must have no cycle. Unit tests (`tests.rs`,
//! `tests/`, `#[cfg(test)]` items) are left out: what a test drives is no
//! dependency of the code. A cycle fails the test with
//! its modules named, one edge per step with the file that makes it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Cycles that exist today and are being taken apart, each as its sorted
/// module names. The list may only shrink: an entry that is no longer a
/// cycle fails the test too, so that it is removed here.
const KNOWN_CYCLES: &[&[&str]] = &[];

type Graph = BTreeMap<String, BTreeMap<String, PathBuf>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`None` for lib.rs).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    match first.strip_suffix(".rs") {
        Some("lib") => None,
        Some(m) => Some(m.to_owned()),
        None => Some(first),
    }
}

/// The text without comments and string literals, which may mention
/// `crate::` without importing anything.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i += 2;
            while i < b.len() && !b[i..].starts_with(b"*/") {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && i + 2 < b.len() && (b[i + 2] == b'\'' || b[i + 1] == b'\\') {
            // A char literal ('"', '\'', '\n'); lifetimes have no closing quote.
            let end = b[i + 1..].iter().skip(1).position(|&c| c == b'\'');
            i += end.map_or(1, |e| e + 3);
            out.push_str("' '");
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// `code` without its `#[cfg(test)]` items (the attribute up to the end of
/// the braces that follow it).
fn without_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find('{') else {
            return out;
        };
        let mut depth = 0;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn ident_at(s: &str) -> Option<&str> {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    (end > 0).then(|| &s[..end])
}

/// The top-level modules that `crate::` paths in `code` name, including
/// each first segment of a `crate::{a::x, b}` group.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue; // `$crate::` (a macro's) or a longer identifier
        }
        let tail = rest.trim_start();
        if let Some(group) = tail.strip_prefix('{') {
            let mut depth = 1;
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => start = true,
                    c if c.is_whitespace() => {}
                    _ if start && depth == 1 => {
                        start = false;
                        if let Some(id) = ident_at(&group[i..]) {
                            out.insert(id.to_owned());
                        }
                    }
                    _ => {}
                }
            }
        } else if let Some(id) = ident_at(tail) {
            out.insert(id.to_owned());
        }
    }
    out
}

fn graph() -> Graph {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(&src, f)).collect();
    let mut g = Graph::new();
    for f in &files {
        let Some(from) = module_of(&src, f) else {
            continue;
        };
        let rel = f.strip_prefix(&src).expect("under src");
        if rel
            .components()
            .any(|c| c.as_os_str() == "tests" || c.as_os_str() == "tests.rs")
        {
            continue;
        }
        let text = std::fs::read_to_string(f).expect("read source");
        let node = g.entry(from.clone()).or_default();
        for to in crate_paths(&without_tests(&code_only(&text))) {
            // Items re-exported at the root (`crate::Modem`) are no module.
            if to != from && modules.contains(&to) {
                node.entry(to)
                    .or_insert_with(|| f.strip_prefix(&src).unwrap().to_path_buf());
            }
        }
    }
    g
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let i = t.index.len();
        t.index.insert(v, i);
        t.low.insert(v, i);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.g.get(v).into_iter().flat_map(|m| m.keys()) {
            let w = w.as_str();
            if !t.index.contains_key(w) {
                visit(t, w);
                let l = t.low[v].min(t.low[w]);
                t.low.insert(v, l);
            } else if t.on.contains(w) {
                let l = t.low[v].min(t.index[w]);
                t.low.insert(v, l);
            }
        }
        if t.low[v] == t.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                scc.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                t.out.push(scc);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out.sort();
    t.out
}

/// One concrete cycle through `scc`'s first module, as "a -> b (file)" steps.
fn describe(g: &Graph, scc: &[String]) -> String {
    let inside: BTreeSet<&str> = scc.iter().map(String::as_str).collect();
    let start = scc[0].as_str();
    // Breadth-first from start back to start, within the component.
    let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    'search: while let Some(v) = queue.pop_front() {
        for w in g[v]
            .keys()
            .map(String::as_str)
            .filter(|w| inside.contains(w))
        {
            if w == start {
                prev.insert("", v);
                break 'search;
            }
            if !prev.contains_key(w) {
                prev.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    let mut path = vec![start];
    let mut at = prev[""];
    while at != start {
        path.push(at);
        at = prev[at];
    }
    path.push(start);
    path.reverse();
    path.windows(2)
        .map(|p| format!("{} -> {} ({})", p[0], p[1], g[p[0]][p[1]].display()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn top_level_modules_form_no_cycle() {
    let g = graph();
    let found = cycles(&g);
    let known: Vec<Vec<String>> = KNOWN_CYCLES
        .iter()
        .map(|c| {
            let mut c: Vec<String> = c.iter().map(|s| s.to_string()).collect();
            c.sort();
            c
        })
        .collect();
    let new: Vec<String> = found
        .iter()
        .filter(|c| !known.contains(c))
        .map(|c| format!("{}: {}", c.join(" <-> "), describe(&g, c)))
        .collect();
    assert!(
        new.is_empty(),
        "module cycles in sim/core:\n{}",
        new.join("\n")
    );
    let gone: Vec<String> = known
        .iter()
        .filter(|c| !found.contains(c))
        .map(|c| c.join(" <-> "))
        .collect();
    assert!(
        gone.is_empty(),
        "no longer cycles, remove them from KNOWN_CYCLES: {}",
        gone.join("; ")
    );
}

#[test]
fn the_parser_sees_uses_groups_and_paths() {
    let code = code_only(
        "use crate::{model::Profile, net::{self, Packet}};\n\
         // use crate::scenario;\n\
         let s = \"crate::time\";\n\
         fn f() -> crate::wire::Error { $crate::usb::x(); crate::qmi::y() }",
    );
    let found: Vec<String> = crate_paths(&code).into_iter().collect();
    assert_eq!(found, ["model", "net", "qmi", "wire"]);
}

#[test]
fn a_cycle_is_found_and_named() {
    let mut g = Graph::new();
    let edge = |g: &mut Graph, a: &str, b: &str| {
        g.entry(a.into())
            .or_default()
            .insert(b.into(), PathBuf::from(format!("{a}/mod.rs")));
    };
    edge(&mut g, "model", "net");
    edge(&mut g, "net", "wire");
    edge(&mut g, "wire", "model");
    edge(&mut g, "qmi", "model");
    let c = cycles(&g);
    assert_eq!(c, [vec!["model", "net", "wire"]]);
    assert_eq!(
        describe(&g, &c[0]),
        "model -> net (model/mod.rs), net -> wire (net/mod.rs), wire -> model (wire/mod.rs)"
    );
}
