#!/usr/bin/env python3
"""Import cycles between a crate's top-level modules, and stage-order rules.

Reads every workspace crate's `src/` (non-test code, comments and strings removed), collects the
`crate::…` and `super::…` paths each top-level module uses, and fails when
- two or more top-level modules of one crate import each other in a circle, or
- a module imports one that the crate's declared flow puts after it (STAGE_ORDER below).

Test code is ignored: `#[cfg(test)]` items and the files they declare (`#[cfg(test)] mod x;`),
because a test may reach anywhere. `use` of the crate root itself (`crate::Error` re-exported
in lib.rs) counts as an edge to the module that defines it when lib.rs re-exports it.

Usage: python3 scripts/module-graph.py [--self-test] [--graph] [crate dirs…]
Exit 1 with each cycle and violation listed; 0 and a one-line summary otherwise.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

# Flows whose stages may only look backwards: a module may import an earlier stage, never a later.
STAGE_ORDER = {
    "ingester": ["sources", "transforms", "sinks", "pipeline", "consumer", "stream", "lake", "hints"],
}

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text: str) -> str:
    """Blank out comments, string and char literals, keeping newlines and braces outside them."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    out.append("\n" if text[i] == "\n" else "")
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not re.match(r"\w", text[i - 1])):
            m = re.match(r'r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            i = n if end < 0 else end + 1 + len(m.group(1))
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x[0-9a-fA-F]{2}'", text[i:i + 12]):
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\x[0-9a-fA-F]{2}|\\.|[^\\'])'", text[i:])
            i += len(m.group(0))
            out.append("' '")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def item_end(text: str, start: int) -> int:
    """End of the item that starts at `start`: its matching `}` or its `;`, whichever closes it."""
    depth = 0
    for i in range(start, len(text)):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c == ";" and depth == 0:
            return i + 1
    return len(text)


CFG_TEST = re.compile(r"#\[cfg\((test|all\(test[^\]]*\))\)\]")


PATH_ATTR = re.compile(r'#\[path\s*=\s*"([^"]+)"\]')


def keep_path_attrs(text: str) -> str:
    """`#[path = "x.rs"]` → `#[path(x.rs)]`, so the file name outlives string stripping."""
    return PATH_ATTR.sub(lambda m: f"#[path({m.group(1)})]", text)


def strip_test_items(text: str) -> tuple[str, list[str]]:
    """Remove `#[cfg(test)]` items; return the text and the test-only `mod x;` files: a name, or
    `path:<file>` for one with a `#[path]` attribute."""
    test_mods = []
    while True:
        m = CFG_TEST.search(text)
        if not m:
            return text, test_mods
        start = m.end()
        # skip further attributes on the same item
        rest = text[start:]
        attrs = re.match(r"(\s*#\[[^\]]*\])*\s*", rest)
        item_start = start + attrs.end()
        decl = re.match(rf"(pub(\([^)]*\))?\s+)?mod\s+({IDENT})\s*;", text[item_start:])
        if decl:
            explicit = re.search(r"#\[path\(([^)]*)\)\]", attrs.group(0))
            test_mods.append(f"path:{explicit.group(1)}" if explicit else decl.group(3))
        end = item_end(text, item_start)
        text = text[:m.start()] + "\n" * text[m.start():end].count("\n") + text[end:]


def module_files(src: Path):
    """(module path, file) for every .rs file under src, following Rust's file layout."""
    for path in sorted(src.rglob("*.rs")):
        rel = path.relative_to(src).with_suffix("")
        parts = list(rel.parts)
        if parts[0] == "bin" and src.name == "src":
            continue  # each src/bin/<name>/ is a crate root of its own (see `roots`)
        if parts[-1] == "mod":
            parts = parts[:-1]
        if parts in (["lib"], ["main"]):
            parts = []
        yield parts, path


def resolve(module: list[str], path_text: str) -> list[str] | None:
    """Absolute module path that `path_text` (`crate::a::b`, `super::super::c`) names."""
    segs = path_text.split("::")
    if segs[0] == "crate":
        return segs[1:]
    if segs[0] in ("super", "self"):
        base = list(module)
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super":
                if not base:
                    return None
                base.pop()
            segs = segs[1:]
        return base + segs
    return None


PATH_START = re.compile(rf"(?<![\w:])((?:crate|super|self)(?:::(?:super|self))*)::(\{{|{IDENT})")


def expand_group(text: str, pos: int) -> list[str]:
    """First segment of each path in a `{a::b, c, d::{e}}` group that opens at text[pos] == '{'."""
    depth, item, items = 0, [], []
    for c in text[pos:]:
        if c == "{":
            depth += 1
            if depth == 1:
                continue
        elif c == "}":
            depth -= 1
            if depth == 0:
                items.append("".join(item))
                break
        if depth == 1 and c == ",":
            items.append("".join(item))
            item = []
        else:
            item.append(c)
    firsts = []
    for it in items:
        m = re.match(rf"\s*({IDENT})", it)
        if m:
            firsts.append(m.group(1))
    return firsts


def used_paths(text: str, module: list[str]) -> set[str]:
    """Top-level modules that the code in `module` names."""
    used = set()
    for m in PATH_START.finditer(text):
        prefix, head = m.group(1), m.group(2)
        heads = expand_group(text, m.start(2)) if head == "{" else [head]
        for h in heads:
            if h in ("self", "super"):
                continue
            target = resolve(module, f"{prefix}::{h}")
            if target:
                used.add(target[0])
    return used


def crate_graph(crate: Path, src: Path | None = None) -> dict[str, set[str]]:
    """The graph of one crate root: `crate/src` (lib.rs or main.rs), or a binary's own folder."""
    src = (src or crate / "src").resolve()
    files = list(module_files(src))
    test_files: set[Path] = set()
    texts = {}
    for module, path in files:
        text, test_mods = strip_test_items(strip_comments_and_strings(keep_path_attrs(path.read_text())))
        texts[path] = (module, text)
        # test-only `mod x;` declared in this file: x.rs / x/mod.rs beside or below it
        here = path.parent if path.stem in ("mod", "lib", "main") else path.parent / path.stem
        for name in test_mods:
            if name.startswith("path:"):
                target = (path.parent / name[5:]).resolve()
                test_files.add(target)
                if target.name == "mod.rs":
                    test_files.add(target.parent)
                continue
            test_files.update([here / f"{name}.rs", here / name / "mod.rs"])
            test_files.update((here / name).rglob("*.rs") if (here / name).is_dir() else [])
    def is_test(path: Path) -> bool:
        return path in test_files or any(p.is_dir() and path.is_relative_to(p) for p in test_files)

    top = {m[0] for m, path in files if m and not is_test(path)}
    # names lib.rs re-exports (`pub use error::{A, B}`) point to the module that defines them
    reexports: dict[str, str] = {}
    for module, path in files:
        if module:
            continue
        for m in re.finditer(rf"pub\s+use\s+({IDENT})::(\{{[^}}]*\}}|{IDENT})", texts[path][1]):
            names = expand_group(m.group(2), 0) if m.group(2).startswith("{") else [m.group(2)]
            for name in names:
                reexports[name] = m.group(1)
    graph: dict[str, set[str]] = {t: set() for t in top}
    for path, (module, text) in texts.items():
        if not module or is_test(path):
            continue
        for target in used_paths(text, module):
            target = reexports.get(target, target)
            if target in top and target != module[0]:
                graph[module[0]].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def roots(crate: Path):
    """(name, source folder) of each crate root: the library or main binary, then every
    multi-file binary under src/bin/."""
    yield crate.name, crate / "src"
    for main in sorted((crate / "src" / "bin").glob("*/main.rs")):
        yield f"{crate.name} (bin {main.parent.name})", main.parent


def check(crates: list[Path], show_graph: bool) -> list[str]:
    problems = []
    for crate, (name, src) in ((c, r) for c in crates for r in roots(c)):
        graph = crate_graph(crate, src)
        if show_graph:
            for v in sorted(graph):
                print(f"{name}: {v} -> {', '.join(sorted(graph[v])) or '-'}")
        for comp in cycles(graph):
            edges = [f"{a} -> {b}" for a in comp for b in sorted(graph[a]) if b in comp]
            problems.append(f"{name}: import cycle between {', '.join(comp)} ({'; '.join(edges)})")
        order = STAGE_ORDER.get(name, [])
        for a in order:
            for b in sorted(graph.get(a, ())):
                if b in order and order.index(b) > order.index(a):
                    problems.append(f"{name}: stage {a} imports the later stage {b}")
    return problems


def self_test() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ingester"
        (root / "src" / "stream").mkdir(parents=True)
        (root / "src" / "lib.rs").write_text(
            "pub mod a; pub mod b; pub mod c; pub mod sinks; pub mod stream; pub use c::Thing;\n")
        (root / "src" / "a.rs").write_text(
            '// crate::c is only a comment\nuse crate::{b::X, self as _};\nconst S: &str = "crate::c";\n'
            "#[cfg(test)]\nmod tests { use crate::c::Y; }\n")
        (root / "src" / "b.rs").write_text("pub fn f() { super::Thing::new(); }\n")
        (root / "src" / "c.rs").write_text(
            'pub struct Thing;\n#[cfg(test)]\n#[path = "c_tests.rs"]\nmod tests;\n')
        (root / "src" / "c_tests.rs").write_text("use crate::a;\n")
        (root / "src" / "sinks.rs").write_text("use crate::stream::Later;\n")
        (root / "src" / "stream" / "mod.rs").write_text("mod inner;\n")
        (root / "src" / "stream" / "inner.rs").write_text("use super::super::sinks::K;\n")
        graph = crate_graph(root)
        expected = {"a": {"b"}, "b": {"c"}, "c": set(), "sinks": {"stream"}, "stream": {"sinks"}}
        assert graph == expected, graph
        problems = check([root], False)
        assert problems == [
            "ingester: import cycle between sinks, stream (sinks -> stream; stream -> sinks)",
            "ingester: stage sinks imports the later stage stream",
        ], problems
        (root / "src" / "c.rs").write_text("pub struct Thing; use crate::a::Z;\n")
        assert check([root], False)[0].startswith("ingester: import cycle between a, b, c"), check([root], False)
    print("module-graph self-test: ok")


def main(argv: list[str]) -> int:
    if "--self-test" in argv:
        self_test()
        return 0
    show = "--graph" in argv
    dirs = [a for a in argv if not a.startswith("--")]
    repo = Path(__file__).resolve().parent.parent
    crates = [Path(d) for d in dirs] or sorted(
        p.parent for p in repo.glob("*/*/Cargo.toml") if (p.parent / "src").is_dir()
    ) + ([repo / "ingester"] if (repo / "ingester" / "src").is_dir() else [])
    problems = check(crates, show)
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"module-graph: {len(crates)} crates, no import cycle between modules, stages in flow order")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
