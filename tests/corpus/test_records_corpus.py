"""PackageRecord on real repodata: every record of the corpus reads and writes back unchanged.

"Unchanged" up to the normalisations a record makes on purpose: timestamps in seconds become
milliseconds, `track_features` becomes one space-separated string, empty and null fields are
left out, and the per-file keys (`fn`, `url`, `channel`) live outside the entry.
"""

from __future__ import annotations

import json

import pytest

from minipixi.errors import MatchSpecError
from minipixi.matchspec import MatchSpec
from minipixi.records import (
    PackageRecord,
    normalize_timestamp,
    parse_package_filename,
    parse_track_features,
)

pytestmark = pytest.mark.corpus

# Keys some old indexes carry that are not part of a record (conda 3 era, or a channel's own).
NOT_RECORD_KEYS = {"fn", "url", "channel", "build_string", "namespace"}


def corpus_entries(corpus_dir):
    paths = sorted((corpus_dir / "data").glob("repodata/*.json"))
    paths += sorted((corpus_dir / "data").glob("channels/**/repodata.json"))
    for path in paths:
        index = json.loads(path.read_text(encoding="utf-8"))
        subdir = (index.get("info") or {}).get("subdir")
        for section in ("packages", "packages.conda"):
            for fn, entry in (index.get(section) or {}).items():
                yield path.relative_to(corpus_dir / "data").as_posix(), fn, entry, subdir


def expected_repodata(entry: dict) -> dict:
    """The entry as `to_repodata` should write it back."""
    out = {}
    for key, value in entry.items():
        if key in NOT_RECORD_KEYS or value is None or value == "" or value == []:
            continue
        if key == "timestamp":
            value = normalize_timestamp(value)
        if key == "track_features":
            value = " ".join(parse_track_features(value))
        out[key] = value
    out.setdefault("depends", [])
    out.setdefault("build_number", 0)
    return dict(sorted(out.items()))


def test_every_corpus_record_round_trips(corpus_dir):
    count = 0
    for source, fn, entry, subdir in corpus_entries(corpus_dir):
        record = PackageRecord.from_repodata(fn, entry, subdir=subdir)
        expected = expected_repodata(entry)
        if "subdir" not in entry and subdir:
            expected = dict(sorted({**expected, "subdir": subdir}.items()))
        assert record.to_repodata() == expected, (source, fn)
        count += 1
    assert count > 2000


# Synthetic test channels: rattler's names some files with a version their record does not
# have; mamba's uses file names like "A_0.1.0.tar.bz2".
SYNTHETIC_SOURCES = {
    "repodata/rattler__dummy-linux-64.json",
    "channels/mamba_channel_a/linux-64/repodata.json",
    "channels/mamba_channel_a/win-64/repodata.json",
    "channels/mamba_channel_a/noarch/repodata.json",
}


def test_corpus_file_names_agree_with_their_records(corpus_dir):
    for source, fn, entry, _subdir in corpus_entries(corpus_dir):
        if source in SYNTHETIC_SOURCES:
            continue
        parts = parse_package_filename(fn)
        assert (parts.name, parts.version, parts.build) == (
            entry["name"], entry["version"], entry["build"],
        ), (source, fn)


def test_every_corpus_dependency_parses(corpus_dir):
    """Every depends/constrains string of real repodata is a MatchSpec we can read."""
    seen = set()
    for source, _fn, entry, _subdir in corpus_entries(corpus_dir):
        specs = set(entry.get("depends") or ()) | set(entry.get("constrains") or ())
        if source in SYNTHETIC_SOURCES and "ray[default,data] >=2.9.0,<3.0.0" in specs:
            # rattler's issue-717 record: pip-style extras in a conda depends, refused on purpose.
            specs.discard("ray[default,data] >=2.9.0,<3.0.0")
            with pytest.raises(MatchSpecError, match="ray"):
                MatchSpec.parse("ray[default,data] >=2.9.0,<3.0.0")
        seen.update(specs)
    assert len(seen) > 500
    for text in sorted(seen):
        spec = MatchSpec.parse(text)
        assert spec.name, text
        assert MatchSpec.parse(str(spec)) == spec, text
