"""Benchmark: parse and sort 200,000 conda versions, minipixi against py-rattler.

Measures, in one run, on the same strings (best of a few repeats, caches cleared first):

1. **parse+sort**: from a list of strings to the sorted list. minipixi:
   `version_kernel.sort_versions` (parse with `Version`, encode rows, numba merge sort);
   py-rattler: ``sorted(texts, key=rattler.Version)``. The pure-Python reference
   (``sorted(texts, key=Version)``) is shown too.
2. **sort of pre-parsed versions**: minipixi sorts already-encoded rows
   (`argsort_versions(encoded)`); py-rattler sorts a list of already-parsed ``rattler.Version``.
3. **filter**: one ``>=1.2,<3|2024.*`` spec against every version (batch `matches` against a
   loop over ``rattler.VersionSpec.matches``), for information.

All three sides must agree on the order (checked). The strings are generated with a fixed seed
in shapes seen in conda-forge repodata (semver, calendar versions, rc/dev/post tags, openssl
underscores, epochs, local parts), with the repeats real repodata has (many builds per version);
``--corpus`` uses ../shared/corpus/version_parsed_by_conda.txt instead (real versions).

Run: ``python bench/versions.py [--count 200000] [--corpus]``. Goals (issue 3): sorting
pre-encoded versions at or below py-rattler's time (ratio <= 1.0), parse+sort within 3x.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import rattler

from minipixi import version, version_kernel
from minipixi.version import Version
from minipixi.version_spec import VersionSpec

SPEC = ">=1.2,<3|2024.*"


def realistic_version(rng: random.Random) -> str:
    """One version string in a shape real channels use, weighted roughly by how common it is."""
    shape = rng.random()
    major, minor, patch = rng.randint(0, 12), rng.randint(0, 30), rng.randint(0, 20)
    if shape < 0.55:
        return f"{major}.{minor}.{patch}"
    if shape < 0.68:
        return f"{major}.{minor}"
    if shape < 0.75:
        return f"20{rng.randint(15, 25)}.{rng.randint(1, 12)}.{rng.randint(1, 28)}"
    if shape < 0.83:
        tag = rng.choice(["rc", "a", "b", "beta", "alpha", "dev", ".dev", ".post", "post"])
        return f"{major}.{minor}.{patch}{tag}{rng.randint(0, 5)}"
    if shape < 0.88:
        return f"{major}.{minor}.{patch}.{rng.randint(0, 9)}"
    if shape < 0.92:
        return f"1.{rng.randint(0, 1)}.{rng.randint(0, 2)}{rng.choice('abcdefghijklmnopqrstuvw')}"
    if shape < 0.95:
        return f"{major}.{minor}.{patch}_{rng.randint(1, 3)}"
    if shape < 0.97:
        return f"{rng.randint(1, 2)}!{major}.{minor}"
    if shape < 0.99:
        return f"{major}.{minor}.{patch}+{rng.choice(['cpu', 'cuda118', 'g1a2b3c', '1'])}"
    return f"{major}.{minor}.{patch}.dev{rng.randint(20200101, 20251231)}"


def generated_versions(count: int, seed: int = 20240601) -> list[str]:
    """`count` strings: ~40,000 distinct versions, each repeated like builds in repodata."""
    rng = random.Random(seed)
    distinct = list(dict.fromkeys(realistic_version(rng) for _ in range(count // 4)))
    return [rng.choice(distinct) for _ in range(count)]


def corpus_versions(count: int, seed: int = 20240601) -> list[str]:
    path = Path(__file__).resolve().parents[2] / "shared/corpus/version_parsed_by_conda.txt"
    lines = [ln.split("=", 1)[0] for ln in path.read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    rng = random.Random(seed)
    return [rng.choice(lines) for _ in range(count)]


def best_of(repeats: int, setup, run) -> tuple[float, object]:
    """Smallest wall time of `run(setup())` over `repeats` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        state = setup()
        start = time.perf_counter()
        result = run(state)
        best = min(best, time.perf_counter() - start)
    return best, result


def clear_caches() -> None:
    version.parse_version.cache_clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--corpus", action="store_true", help="real versions from the corpus")
    args = parser.parse_args(argv)
    texts = corpus_versions(args.count) if args.corpus else generated_versions(args.count)
    print(f"{len(texts)} version strings, {len(set(texts))} distinct "
          f"({'corpus' if args.corpus else 'generated'})")

    start = time.perf_counter()
    version_kernel.sort_versions(["1.0", "1.0a", "2"])  # load numba's compiled cache
    version_kernel.matches(SPEC, ["1.0", "2"])
    print(f"numba warm-up (compiled-code cache load): {time.perf_counter() - start:.2f} s")

    ours, ours_sorted = best_of(args.repeats, clear_caches,
                                lambda _: version_kernel.sort_versions(texts))
    reference, reference_sorted = best_of(1, clear_caches,
                                          lambda _: sorted(texts, key=Version))
    theirs, theirs_sorted = best_of(args.repeats, lambda: None,
                                    lambda _: sorted(texts, key=rattler.Version))
    assert ours_sorted == theirs_sorted == reference_sorted, "the three orders differ"

    encoded = version_kernel.encode_versions(texts)
    parsed = [rattler.Version(t) for t in texts]
    ours_pre, order = best_of(args.repeats, lambda: None,
                              lambda _: version_kernel.argsort_versions(encoded))
    theirs_pre, _ = best_of(args.repeats, lambda: None, lambda _: sorted(parsed))
    assert [texts[i] for i in order] == theirs_sorted

    spec, their_spec = VersionSpec(SPEC), rattler.VersionSpec(SPEC)
    ours_match, mask = best_of(args.repeats, lambda: None,
                               lambda _: version_kernel.matches(spec, encoded))
    theirs_match, their_mask = best_of(1, lambda: None,
                                       lambda _: [their_spec.matches(v) for v in parsed])
    assert mask.tolist() == their_mask

    rows = [
        ("parse+sort (strings -> sorted strings)", ours, theirs),
        ("  pure-Python reference, sorted(key=Version)", reference, theirs),
        ("sort pre-encoded / pre-parsed versions", ours_pre, theirs_pre),
        (f"filter with {SPEC!r} (pre-encoded)", ours_match, theirs_match),
    ]
    print(f"{'measurement':48} {'minipixi':>10} {'py-rattler':>11} {'ratio':>7}")
    for name, ours_s, theirs_s in rows:
        print(f"{name:48} {ours_s:9.3f}s {theirs_s:10.3f}s {ours_s / theirs_s:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
