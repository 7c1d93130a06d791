"""Compares two analysis output directories (the same rules as the Rust parity test).

    python -m coinking_analytics.compare RUST_ANALYSIS_DIR SPARK_ANALYSIS_DIR

Every result and user file must exist in both with equal JSON, floats within 1e-9 relative.
Prints `identical: N files` or the first differences and exits 1.
"""

import json
import os
import sys

TOLERANCE = 1e-9
MANIFEST_KEYS = ["input_files", "record_count", "game_count", "duplicates_dropped", "player_count",
                 "top_10_percent_threshold", "top_10_percent_games", "results"]


def same(path, a, b, problems):
    if isinstance(a, bool) or isinstance(b, bool):
        if a is not b:
            problems.append(f"{path}: {a!r} != {b!r}")
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if abs(a - b) > TOLERANCE * max(abs(a), abs(b)):
            problems.append(f"{path}: {a!r} != {b!r}")
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            problems.append(f"{path}: {len(a)} entries != {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            same(f"{path}[{i}]", x, y, problems)
    elif isinstance(a, dict) and isinstance(b, dict):
        if sorted(a) != sorted(b):
            problems.append(f"{path}: keys {sorted(a)} != {sorted(b)}")
            return
        for key in a:
            same(f"{path}.{key}", a[key], b[key], problems)
    elif a != b:
        problems.append(f"{path}: {a!r} != {b!r}")


def load(path):
    with open(path, "rb") as f:
        return json.load(f)


def compare(left, right):
    problems = []
    files = 0
    for sub in ("", "users"):
        names_left = sorted(n for n in os.listdir(os.path.join(left, sub)) if n.endswith(".json"))
        names_right = sorted(n for n in os.listdir(os.path.join(right, sub)) if n.endswith(".json"))
        if names_left != names_right:
            problems.append(f"{sub or '.'}: file sets differ ({len(names_left)} vs {len(names_right)})")
            continue
        for name in names_left:
            a, b = load(os.path.join(left, sub, name)), load(os.path.join(right, sub, name))
            if name == "_manifest.json":
                a = {k: a[k] for k in MANIFEST_KEYS}
                b = {k: b[k] for k in MANIFEST_KEYS}
            elif name == "_results.json":
                # run_id and generated_at_ms differ by nature; the results must not.
                a, b = a["results"], b["results"]
            same(os.path.join(sub, name), a, b, problems)
            files += 1
    return files, problems


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    files, problems = compare(argv[0], argv[1])
    if problems:
        print(f"{len(problems)} differences:", *problems[:20], sep="\n")
        return 1
    print(f"identical: {files} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
