"""Build monitor/statements/lexicon/given_names.tsv from the 1990 U.S. Census first-name files.

Usage:
    pip download --no-deps names==0.3.0 && tar xzf names-0.3.0.tar.gz
    python tools/given_names.py names-0.3.0/names > monitor/statements/lexicon/given_names.tsv

The files (dist.female.first, dist.male.first: name, frequency in percent, cumulative, rank)
are public domain (U.S. Census Bureau); the `names` package (MIT) redistributes them. A name is
marked f or m when that list gives it at least three times the other's share, else `?`.
"""

from __future__ import annotations

import sys
from pathlib import Path

HEADER = """\
# Given names with the gender they are mostly given to: f, m, or ? when neither holds three
# times the other's share. A capitalised word in this list opening a name is evidence of a
# person (not a place or a title), and tells which `he`/`she` can mean them. A name not
# listed here is not evidence against a person.
# Source: U.S. Census Bureau, 1990 Census, "Frequently Occurring First Names" (files
# dist.female.first and dist.male.first; public domain, a work of the U.S. Government), as
# redistributed in the `names` package 0.3.0 (MIT) on PyPI. Derived by
# tools/given_names.py: every listed name, gender by share of the two lists.
"""


def shares(path: Path) -> dict[str, float]:
    found = {}
    for line in path.read_text(encoding="ascii").splitlines():
        parts = line.split()
        if parts:
            found[parts[0].capitalize()] = float(parts[1])
    return found


def main(folder: Path) -> None:
    female, male = shares(folder / "dist.female.first"), shares(folder / "dist.male.first")
    lines = []
    for name in sorted(set(female) | set(male)):
        f, m = female.get(name, 0.0), male.get(name, 0.0)
        gender = "f" if f > 3 * m else "m" if m > 3 * f else "?"
        lines.append(f"{name}\t{gender}")
    sys.stdout.write(HEADER + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
