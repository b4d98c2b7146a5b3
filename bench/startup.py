"""Start-up time: `minipixi --help` against a bare `python -c pass`, measured in the same run.

A classroom types many short commands, so start-up matters: the CLI imports argparse and
nothing heavy (numba, httpx and the solver load only when a command needs them). The goal is
`minipixi --help` under 0.3 s; this script prints both times and their ratio (machines here are
noisy, so the ratio against the bare interpreter is the number to compare between runs).

    python bench/startup.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def best_of(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    bare_best, bare_median = best_of([sys.executable, "-c", "pass"], runs)
    help_best, help_median = best_of([sys.executable, "-m", "minipixi", "--help"], runs)
    modules = subprocess.run([sys.executable, "-c", "import sys, minipixi.cli; print(len(sys.modules))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    print(f"python -c pass        best {bare_best:.3f} s  median {bare_median:.3f} s")
    print(f"minipixi --help       best {help_best:.3f} s  median {help_median:.3f} s")
    print(f"ratio (help / bare)   best {help_best / bare_best:.2f}x  median {help_median / bare_median:.2f}x")
    print(f"modules loaded by `import minipixi.cli`: {modules}")
    print(f"goal: minipixi --help under 0.3 s -> {'met' if help_median < 0.3 else 'NOT met'} (median)")


if __name__ == "__main__":
    main()
