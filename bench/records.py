"""Benchmark: where reading a ``repodata.json`` lazily spends its time, step by step.

`minipixi.channel.repodata.SubdirRepodata` indexes a file (one regex pass over the bytes) and
then, for each name a solve asks for, JSON-decodes that name's entries and builds a
`PackageRecord` from each (`PackageRecord.from_repodata`, which also checks the fields that
become paths). This script times those steps for real channel indexes, so that a change to
one of them can be judged on its own:

- **index**: `index_repodata`, per MB of file;
- **json**: decoding every entry's bytes (`decode_entry`), per record;
- **records**: `from_repodata` on the decoded entries, per record;
- **whole json.loads**: the file parsed at once, per record, for scale.

Times are CPU seconds of this thread (`time.thread_time`), the best of ``--repeat`` runs, with
the cycle collector paused: a shared machine disturbs them much less than the clock. Files:
``../shared/solver-data`` (unpacked to a temporary folder) or the paths given.
Run: ``python bench/records.py [--repeat 20] [repodata.json ...]``.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

from minipixi.channel.repodata import SubdirRepodata, decode_entry, index_repodata
from minipixi.records import PackageRecord

SOLVER_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "solver-data"


def best(step, repeat: int) -> float:
    """The least CPU time `step()` took in `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.thread_time()
        step()
        times.append(time.thread_time() - start)
    return min(times)


def measure(path: Path, repeat: int) -> dict:
    subdir = SubdirRepodata.read(path, channel="https://example.invalid/channel/")
    data, index = subdir.data, subdir.index
    quotes = sorted(quote for found in index.by_name.values() for quote in found)
    entries = [decode_entry(data, index, quote, str(path)) for quote in quotes]

    def build():
        for file_name, entry in entries:
            PackageRecord.from_repodata(file_name, entry, channel=subdir.channel,
                                        subdir=subdir.subdir, base_url=subdir.base_url)

    count = max(len(entries), 1)
    return {
        "file": f"{path.parent.parent.name}/{path.parent.name}",
        "mb": len(data) / 1e6,
        "records": len(entries),
        "index_ms_per_mb": 1e3 * best(lambda: index_repodata(data), repeat) / max(len(data) / 1e6, 1e-9),
        "json_us": 1e6 * best(lambda: [decode_entry(data, index, q, "") for q in quotes], repeat) / count,
        "records_us": 1e6 * best(build, repeat) / count,
        "loads_us": 1e6 * best(lambda: json.loads(bytes(data)), repeat) / count,
    }


def solver_data_files(folder: Path) -> list[Path]:
    """The solver-data indexes with records, unpacked below `folder`."""
    found = []
    for packed in sorted(SOLVER_DATA.glob("*/*/repodata.json.gz")):
        target = folder / packed.parent.parent.name / packed.parent.name / "repodata.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.decompress(packed.read_bytes()))
        if target.stat().st_size > 10_000:
            found.append(target)
    return found


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        files = args.files or solver_data_files(Path(tmp))
        if not files:
            sys.exit(f"no files given and no {SOLVER_DATA}")
        gc.disable()  # as during a solve's decoding: the collector would only add noise
        rows = [measure(path, args.repeat) for path in files]
    print(f"{'file':22} {'MB':>5} {'records':>7} {'index ms/MB':>11} {'json us':>8} "
          f"{'records us':>10} {'whole loads us':>14}  (CPU, per record unless said)")
    for row in rows:
        print(f"{row['file']:22} {row['mb']:5.2f} {row['records']:7d} {row['index_ms_per_mb']:11.2f} "
              f"{row['json_us']:8.2f} {row['records_us']:10.2f} {row['loads_us']:14.2f}")


if __name__ == "__main__":
    main()
