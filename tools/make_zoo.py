"""Pre-generate the conversion-test model cache (tests/.cache/) and, optionally, report how wasm-torch
does on it.

    python tools/make_zoo.py               # the zoo, every entry in every form torch allows
    python tools/make_zoo.py --reference   # also the four reference models in all forms (~200 MB)
    python tools/make_zoo.py --check       # convert every zoo case; print failures grouped by cause
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import zoo_cache  # noqa: E402  (lives in tests/, reachable only after the path insert)
from models import reference, zoo  # noqa: E402


def cause_of(exc: BaseException) -> list[str]:
    """One-line causes a failure falls under: each unsupported op, or the error with the case's
    specifics (locations, numbers) taken out so that cases with the same cause group together."""
    problems = getattr(exc, "problems", None)
    if problems:
        return sorted({f"unsupported: {op}" for op, _ in problems})
    msg = str(exc).splitlines()[0] if str(exc) else ""
    msg = re.sub(r" at \S+.*$", "", msg)
    msg = re.sub(r"\[[-\d, ]*\]|\d+(\.\d+)?(e[-+]?\d+)?", "#", msg)
    return [f"{type(exc).__name__}: {msg[:200]}"]


def check() -> int:
    groups: dict[str, list[str]] = {}
    passed = failed = 0
    for e in zoo.ZOO.values():
        cases = [(form, "") for form in e.forms]
        if e.swap:
            cases += [(form, w) for form in e.forms for w in zoo_cache.WEIGHT_FILES]
        for form, weights in cases:
            case = f"{e.name}-{form}" + (f"-{weights}" if weights else "")
            try:
                zoo_cache.check_case(e.name, form, weights)
                passed += 1
            except Exception as exc:
                failed += 1
                for cause in cause_of(exc):
                    groups.setdefault(cause, []).append(case)
    for cause, cases in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"\n{cause}  ({len(cases)})\n    " + " ".join(cases))
    print(f"\n{passed} passed, {failed} failed")
    return 1 if failed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", action="store_true", help="also generate the reference models")
    ap.add_argument("--check", action="store_true", help="convert every zoo case and group failures")
    args = ap.parse_args()
    start = time.perf_counter()
    folder = zoo_cache.zoo_dir()
    m = zoo_cache.manifest()
    print(f"zoo: {len(m['entries'])} entries in {folder} (generated in {m['seconds']} s; "
          f"ready in {time.perf_counter() - start:.1f} s)")
    for e in zoo.ZOO.values():
        for form, why in e.refused.items():
            print(f"  torch refuses {e.name} as {form}: {why}")
        for form, err in m["entries"][e.name]["errors"].items():
            print(f"  UNEXPECTED: torch failed to save {e.name} as {form}: {err}")
    if args.reference:
        for name in reference.NAMES:
            for form in zoo.FORMS:
                path, _, _, refused = zoo_cache.reference_case(name, form)
                print(f"reference {name} {form}: {refused or path}")
    return check() if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
