#!/usr/bin/env python3
"""Every file the docs name exists: markdown links to repository paths, and backticked paths
that start at the repository root (`ingester/src/…`, `scripts/…`), in README.md and docs/*.md.

Usage: python3 scripts/doc-links.py [--self-test]. Exit 1 listing each missing path.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOTS = ("crates/", "functions/", "ingester/", "scripts/", "docs/", "spark/", "events/", ".ci/")
LINK = re.compile(r"\]\(([^)\s]+)\)")
TICKED = re.compile(r"`([A-Za-z0-9_.\-/]+)`")


def missing_in(doc: Path, repo: Path) -> list[str]:
    text = doc.read_text()
    missing = []
    for number, line in enumerate(text.splitlines(), 1):
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a URL or an anchor in the same page
            path = (doc.parent / target.split("#")[0]).resolve()
            if not path.exists():
                missing.append(f"{doc.relative_to(repo)}:{number}: link {target}")
        for ticked in TICKED.findall(line):
            if ticked.startswith(ROOTS) and "/" in ticked.rstrip("/") and "*" not in ticked:
                if not (repo / ticked).exists():
                    missing.append(f"{doc.relative_to(repo)}:{number}: path {ticked}")
    return missing


def check(repo: Path) -> list[str]:
    docs = [repo / "README.md", *sorted((repo / "docs").glob("*.md"))]
    return [m for doc in docs if doc.exists() for m in missing_in(doc, repo)]


def self_test() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        (repo / "docs").mkdir()
        (repo / "scripts").mkdir()
        (repo / "scripts" / "a.sh").write_text("")
        (repo / "README.md").write_text(
            "[a](scripts/a.sh) [web](https://x.y/z) [here](#top) `scripts/a.sh` `a.rs`\n")
        (repo / "docs" / "X.md").write_text("[a](../scripts/a.sh#L1)\n[b](../scripts/b.sh)\n`ingester/src/gone.rs`\n")
        assert check(repo) == ["docs/X.md:2: link ../scripts/b.sh", "docs/X.md:3: path ingester/src/gone.rs"], check(repo)
    print("doc-links self-test: ok")


def main(argv: list[str]) -> int:
    if "--self-test" in argv:
        self_test()
        return 0
    repo = Path(__file__).resolve().parent.parent
    missing = check(repo)
    for m in missing:
        print(m)
    if missing:
        print(f"doc-links: {len(missing)} named paths do not exist")
        return 1
    print("doc-links: every path README.md and docs/*.md name exists")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
