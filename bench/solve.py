"""Benchmark: our solver's time against py-rattler's (resolvo) on the same repodata files.

Problems (issue 5):

- **(a) pytorch channel**: ``../shared/corpus/data/repodata/rattler__pytorch-linux-64.json``
  (2,181 real records of the old pytorch channel), spec ``pytorch``. Alone the channel lacks
  python, mkl and blas, so both solvers must prove it unsolvable: a search through all 276
  pytorch builds. A second run puts the corpus's conda-forge records behind it (strict channel
  priority), the way the channel is used in practice.
- **(b) lesson-like workspaces**: the CPU and GPU environments of the corpus's
  ``matthewfeickert__nvidia-gpu-ml-library-test`` (pytorch-cpu / pytorch-gpu with cuda = "12"),
  on repodata pooled from every corpus lock; plus its ``inference`` environment (the largest:
  ~200 records); and the lesson's own CPU and GPU environments (exercise 07) on the teaching
  channel.

- **(c) real channel indexes** (issue 19): ``../shared/solver-data`` (its MANIFEST.txt: a 2024
  conda-forge subset on five platforms, Anaconda defaults and r snapshots 2013-2018, and the
  anaconda.org channel that encodes a sudoku). Seeded random requests on every set-up
  (``--real N`` per set-up; tests/solver_hard/solver_data.py builds them), the sudoku's two
  named requests, and the explanation cases of the issue. Goal: median <= 2x rattler, p95 <= 3x,
  none over 10x; the summary line gives the three.

Each side starts from the files: ours reads them with `minipixi.channel.repodata.SubdirRepodata` (lazy,
only the names the solve touches) and solves; rattler builds ``SparseRepoData`` and runs
``solve_with_sparse_repodata``. Times are the best of ``--repeat`` runs in one warm process
(imports and numba compilation excluded for both; the best, not the median, because the
machine is shared and noise only ever adds time), as wall time and as the process's CPU time
(all threads), which a busy machine disturbs less. Run: ``python bench/solve.py``; issue 19's
measure is ``--only-real --real 6 --repeat 2``, and ``--setup KEY`` (repeatable) times only
those set-ups (the random sudoku requests take py-rattler minutes each).
Goal: within 5x of py-rattler and under 1 s for the lesson problems.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # solver_inputs: problems built from the corpus locks
sys.path.insert(0, str(ROOT / "tests" / "solver_hard"))  # solver_data: the real channel indexes

import rattler  # noqa: E402
from rattler.exceptions import SolverError  # noqa: E402

from minipixi.errors import SolveError  # noqa: E402
from minipixi.channel.repodata import SubdirRepodata  # noqa: E402
from minipixi.solver import MergedSource, SolveTask, solve  # noqa: E402
from minipixi.channel.virtual_packages import default_virtual_packages  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
PYTORCH = CORPUS / "data" / "repodata" / "rattler__pytorch-linux-64.json"


def clock() -> tuple[float, float]:
    """Wall time and this process's CPU time (all threads: fair to a multi-threaded rattler)."""
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = clock()
    return wall - start[0], cpu - start[1]


def ours(specs, tiers, virtual, subdir) -> tuple[tuple[float, float], str]:
    """Load (lazily) and solve; `tiers` is [(label, [(channel, subdir, path)...]), ...]."""
    start = clock()
    sources = [MergedSource([SubdirRepodata.read(path, channel=channel, subdir=sd) for channel, sd, path in files],
                            label=label) for label, files in tiers]
    task = SolveTask(specs=list(specs), sources=sources, virtual_packages=virtual, platform=subdir)
    try:
        outcome = f"{len(solve(task))} records"
    except SolveError:
        outcome = "unsolvable"
    return since(start), outcome


def theirs(specs, tiers, virtual) -> tuple[tuple[float, float], str]:
    start = clock()
    sparse = [rattler.SparseRepoData(rattler.Channel(channel), sd, str(path))
              for _, files in tiers for channel, sd, path in files]
    generic = [rattler.GenericVirtualPackage(rattler.PackageName(r.name), rattler.Version(r.version),
                                             rattler.BuildString(r.build)) for r in virtual]
    try:
        solved = asyncio.run(rattler.solve_with_sparse_repodata(list(map(str, specs)), sparse, virtual_packages=generic))
        outcome = f"{len(solved)} records"
    except SolverError:
        outcome = "unsolvable"
    return since(start), outcome


def measure(name, specs, tiers, virtual, subdir, repeat) -> dict:
    ours(specs, tiers, virtual, subdir)  # warm-up: imports, first-use caches
    theirs(specs, tiers, virtual)
    mine = [ours(specs, tiers, virtual, subdir) for _ in range(repeat)]
    other = [theirs(specs, tiers, virtual) for _ in range(repeat)]
    wall_a, wall_b = min(t[0] for t, _ in mine), min(t[0] for t, _ in other)
    cpu_a, cpu_b = min(t[1] for t, _ in mine), min(t[1] for t, _ in other)
    return {"problem": name, "ours_s": wall_a, "rattler_s": wall_b, "ratio": wall_a / wall_b,
            "ours_cpu": cpu_a, "rattler_cpu": cpu_b, "cpu_ratio": cpu_a / cpu_b,
            "ours": mine[0][1], "rattler": other[0][1]}


def corpus_tiers(problem, folder: Path, pooled) -> list:
    from solver_inputs import write_repodata

    tiers = []
    for url in problem.channels:
        files = []
        for subdir in (problem.subdir, "noarch"):
            path = folder / url.split("/")[-2] / subdir / "repodata.json"
            if not path.exists():
                write_repodata(pooled.get((url, subdir), []), path, subdir)
            files.append((url, subdir, path))
        tiers.append((url.split("/")[-2] + "/" + problem.subdir, files))
    return tiers


def problems(folder: Path):
    from solver_inputs import lock_problems, pooled_records

    pooled = pooled_records(CORPUS)
    linux = default_virtual_packages("linux-64", cuda="12")
    alone = [("pytorch/linux-64", [("https://conda.anaconda.org/pytorch/", "linux-64", PYTORCH)])]
    yield "(a) pytorch channel alone: pytorch", ["pytorch"], alone, linux, "linux-64"
    lesson = [p for p in lock_problems(CORPUS) if p.lock == "matthewfeickert__nvidia-gpu-ml-library-test"
              and p.subdir == "linux-64"]
    forge = corpus_tiers(lesson[0], folder, pooled)
    yield "(a) pytorch channel + conda-forge: pytorch", ["pytorch"], alone + forge, linux, "linux-64"
    for problem in lesson:
        if problem.environment in ("cpu", "gpu", "inference"):
            yield (f"(b) lesson {problem.environment} linux-64", problem.specs,
                   corpus_tiers(problem, folder, pooled), problem.virtual_packages, "linux-64")
    yield from teaching_problems()


def teaching_problems():
    """The lesson's CPU and GPU environments (exercise 07) on the teaching channel."""
    from minipixi.manifest import read_manifest, resolve_environment

    manifest = ROOT / "exercises" / "07-cuda-environments" / "solution" / "pixi.toml"
    channel = ROOT / "minipixi" / "teaching" / "mirror" / "channel"
    if not (manifest.is_file() and (channel / "linux-64" / "repodata.json").is_file()):
        return
    url = channel.resolve().as_uri() + "/"
    tiers = [("teaching/linux-64", [(url, sd, channel / sd / "repodata.json") for sd in ("linux-64", "noarch")])]
    workspace = read_manifest(manifest)
    for environment in ("cpu", "gpu"):
        resolved = resolve_environment(workspace, environment, "linux-64")
        options = {k: v for k, v in resolved.virtual_package_options().items() if v is not None}
        yield (f"(b) teaching channel {environment} linux-64", list(resolved.specs.values()), tiers,
               default_virtual_packages("linux-64", **options), "linux-64")


def real_problems(folder: Path, per_setup: int, setups: list[str] | None = None):
    """(c): requests on the real channel indexes of ../shared/solver-data (`setups`: only
    those set-ups, by key, e.g. ``cf2024/linux-64``)."""
    import solver_data

    data = solver_data.find_solver_data()
    if data is None or per_setup <= 0:
        return
    unpacked = solver_data.unpack(data, folder / "solver-data")
    named = [("sudoku/noarch", ["sudoku_0_0 ==5", "sudoku_1_0 ==3", "sudoku_4_0 ==7", "sudoku_0_1 ==6",
                                "sudoku_3_1 ==1"]),
             ("sudoku/noarch", ["sudoku_0_0"]),
             ("cf2024/win-64", ["setuptools 40.0.0.*"]),
             ("r2018+main2018/linux-64", ["mro-base", "r-kernsmooth !=2.23_15"])]
    chosen = [*named, *((setup.key, specs) for setup in solver_data.SETUPS
                        for specs in solver_data.random_problems(setup, unpacked, 2024, per_setup))]
    for key, specs in chosen:
        if setups and key not in setups:
            continue
        setup = solver_data.BY_KEY[key]
        tiers = [(f"{tier[0][0].split('/')[-2]}/{setup.platform}", tier) for tier in solver_data.files(setup, unpacked)]
        yield (f"(c) {key}: {', '.join(specs)}"[:44], specs, tiers, solver_data.virtual_packages(setup),
               setup.platform)


def summary(rows, key: str = "ratio") -> str:
    """Median, 95th percentile and worst of the ratios (`key`: "ratio" for wall time,
    "cpu_ratio" for CPU time, which a busy machine disturbs less)."""
    ratios = sorted(row[key] for row in rows)
    if not ratios:
        return "no problems"
    median = ratios[len(ratios) // 2] if len(ratios) % 2 else (ratios[len(ratios) // 2 - 1] + ratios[len(ratios) // 2]) / 2
    p95 = ratios[min(len(ratios) - 1, int(round(0.95 * (len(ratios) - 1))))]
    worst = max(rows, key=lambda row: row[key])
    return (f"{len(ratios)} problems: median {median:.2f}x, p95 {p95:.2f}x, worst {worst[key]:.2f}x "
            f"({worst['problem']}: {worst['ours_s']:.3f} s vs {worst['rattler_s']:.3f} s wall); "
            f"over 10x: {sum(r > 10 for r in ratios)}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--real", type=int, default=10, metavar="N",
                        help="random requests per set-up of ../shared/solver-data (0: none)")
    parser.add_argument("--only-real", action="store_true", help="only the (c) problems")
    parser.add_argument("--setup", action="append", metavar="KEY",
                        help="(c) on this set-up only (repeatable), e.g. cf2024/linux-64; random "
                        "sudoku requests take py-rattler minutes, so leaving sudoku/noarch out "
                        "makes a quick run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        chosen = [] if args.only_real else list(problems(Path(tmp)))
        chosen += list(real_problems(Path(tmp), args.real, args.setup))
        rows = [measure(*problem, repeat=args.repeat) for problem in chosen]
    print(f"{'':45} {'wall s (best)':^26} {'cpu s (best)':^26}")
    print(f"{'problem':45} {'ours':>8} {'rattler':>8} {'ratio':>6}   {'ours':>8} {'rattler':>8} {'ratio':>6}"
          f"  outcome (ours / rattler)")
    for row in rows:
        print(f"{row['problem']:45} {row['ours_s']:8.3f} {row['rattler_s']:8.3f} {row['ratio']:6.1f}"
              f"   {row['ours_cpu']:8.3f} {row['rattler_cpu']:8.3f} {row['cpu_ratio']:6.1f}"
              f"  {row['ours']} / {row['rattler']}")
    real = [row for row in rows if row["problem"].startswith("(c)")]
    if real:
        print("(c) real channel indexes, wall time:", summary(real))
        print("(c) real channel indexes, CPU time: ", summary(real, "cpu_ratio"))


if __name__ == "__main__":
    main()
