"""Candidates and preferences: everything the search needs to know about packages.

The search in `solver/search.py` never parses a version or reads a record; it asks this module
(the *provider*, as resolvelib calls it) three questions:

- `Provider.candidates(name)`: every record of a name, **best first**. The order is the
  preference order of rattler and conda: a record with ``track_features`` sorts below every
  record without (tracked features are how a channel says "only if you must"); then the highest
  version; then the highest build number; then, as rattler does, the record whose dependencies
  can reach the newest versions (`dependency_scores`: one step ahead, at the versions of the
  dependencies, never at their own order); then the newest timestamp. A locked record goes
  first.
- `Provider.matches(spec)`: which candidates of the spec's name match it, as a *mask*: a Python
  int whose bit ``i`` stands for candidate ``i``. Sets of records become integer operations
  (``&`` is "and", ``|`` is "or"), and bit 0 is always the most preferred record.
- `Provider.depends_groups(name)`: for each dependency text, the mask of the records that list
  it, so one fact ("every build of pytorch 2.7.0 depends on __cuda") covers many records.

Where records come from is decided here as well: strict channel priority (a name found in a
higher source hides lower ones: those records stay candidates but are *excluded*, so an
explanation can mention them), the ``.conda`` twin of a ``.tar.bz2`` winning, virtual packages
coming only from the task, and pinned records replacing their name's other candidates.

Filtering and sorting many candidates goes through the numba kernel in `version_kernel.py`
(`matches`, `argsort_versions`) once a solve has done enough version checks for numba's start-up
to pay (the rule is at KERNEL_WORK); the plain Python path reads the same and is the only one a
lesson-sized solve ever takes.

Read after `solver/task.py`; read next `solver/incompatibility.py`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import lru_cache

from minipixi.errors import MatchSpecError
from minipixi.matchspec import MatchSpec
from minipixi.records import PackageRecord
from minipixi.solver.task import SolveTask, source_label
from minipixi.version import parse_version

# --8<-- [start:kernel-rule]
# When to use the numba kernel: a ski-rental rule. Starting numba (import, load the compiled
# kernel) costs about 1.5 s, once; checking one version in Python costs about 5 µs. So the
# solver checks versions in Python, counting the checks on names with many candidates, and
# switches to the kernel once that count passes KERNEL_WORK: a solve never pays more than
# about twice what the better choice, known in advance, would have cost. A lesson-sized solve
# (or a 300,000-record channel with five specs: ~10,000 checks) never starts numba.
KERNEL_MIN_CANDIDATES = 500
KERNEL_WORK = 300_000
# --8<-- [end:kernel-rule]


@lru_cache(maxsize=65536)
def parse_spec(text: str):
    """MatchSpec.parse with a cache: the same dependency text appears in thousands of records."""
    return MatchSpec.parse(text)


def as_spec(spec):
    """A MatchSpec from a MatchSpec or its text."""
    return parse_spec(spec) if isinstance(spec, str) else spec


@dataclass
class Candidates:
    """All records of one name, best first, plus what the explanation needs to know of them."""

    name: str
    records: list[PackageRecord]
    origins: list[str]  # the source label of each record
    excluded: dict[str, int] = field(default_factory=dict)  # reason -> mask of excluded records
    _encoded: object = None  # the kernel's encoding of the versions, built on first use
    _ranks: list | None = None  # each record's version rank (higher is newer), built on first use
    _tracked: int = 0  # the mask of records with tracked features, built with _ranks
    _by_version: list | None = None  # (version, mask) per distinct version, built on first use

    @property
    def full(self) -> int:
        """The mask of every candidate."""
        return (1 << len(self.records)) - 1


# --8<-- [start:preference]
def preference_key(record: PackageRecord, version_rank: int, dependencies: tuple = (),
                   lowest: bool = False) -> tuple:
    """Sort key, smaller is better: no tracked features, high version (low with the ``lowest``
    strategies), high build number, dependencies that allow better records (see
    `Provider.dependency_scores`), newest."""
    return (
        1 if record.track_features else 0,
        version_rank if lowest else -version_rank,
        -record.build_number,
        dependencies,
        -(record.timestamp or 0),
    )
# --8<-- [end:preference]


def kernel_started() -> bool:
    """Whether numba and the version kernel are already loaded in this process."""
    return "minipixi.version_kernel" in sys.modules


def version_ranks(records: list[PackageRecord]) -> list[int]:
    """For each record, the rank of its version among `records` (equal versions, equal rank).
    Sorted by the kernel's argsort when it is already running and the name is big."""
    keys = [r.parsed_version.sort_key for r in records]  # equal keys exactly for equal versions
    if len(records) >= KERNEL_MIN_CANDIDATES and kernel_started():
        from minipixi import version_kernel  # lazy: numba takes ~1.5 s to start (see KERNEL_WORK)

        order = [int(i) for i in version_kernel.argsort_versions([r.parsed_version for r in records])]
    else:
        order = sorted(range(len(records)), key=keys.__getitem__)
    ranks = [0] * len(records)
    rank = 0
    for previous, current in zip(order, order[1:]):
        if keys[current] != keys[previous]:
            rank += 1
        ranks[current] = rank
    return ranks


def version_groups(records: list[PackageRecord]) -> list[tuple]:
    """(version, mask of the records of that version) for each distinct version text."""
    masks: dict[str, int] = {}
    for i, record in enumerate(records):
        masks[record.version] = masks.get(record.version, 0) | 1 << i
    return [(parse_version(text), mask) for text, mask in masks.items()]


def version_levels(records: list[PackageRecord]) -> list[tuple[int, list]]:
    """The distinct versions of `records`, highest first: (rank, [(version, its records)]),
    rank as `version_ranks` numbers them; equal versions written differently share a level."""
    by_text: dict[str, list[PackageRecord]] = {}
    for record in records:
        by_text.setdefault(record.version, []).append(record)
    by_key: dict[tuple, list] = {}
    for text, group in by_text.items():
        version = parse_version(text)
        by_key.setdefault(version.sort_key, []).append((version, group))
    keys = sorted(by_key)
    return [(rank, by_key[keys[rank]]) for rank in range(len(keys) - 1, -1, -1)]


def sort_best_first(records: list[PackageRecord], locked: PackageRecord | None, scores=None,
                    lowest: bool = False, channel_rank: list[int] | None = None) -> list[int]:
    """Indexes of `records` in preference order; a locked record (when present) comes first.

    `scores(tied_records) -> list[tuple]` breaks ties between records of the same version and
    build number (the numpy builds for python 3.12 and 3.13, say) by their dependencies.
    """
    ranks = version_ranks(records)
    tied: dict[tuple, list[int]] = {}
    for i, record in enumerate(records):
        tied.setdefault((bool(record.track_features), ranks[i], record.build_number), []).append(i)
    dependencies = [()] * len(records)
    for group in tied.values():
        if len(group) > 1 and scores is not None:
            for i, score in zip(group, scores([records[i] for i in group])):
                dependencies[i] = score
    order = sorted(range(len(records)), key=lambda i: (channel_rank[i] if channel_rank else 0,
                                                       preference_key(records[i], ranks[i], dependencies[i], lowest)))
    if locked is not None:
        hit = [i for i in order if same_record(records[i], locked)]
        order = hit[:1] + [i for i in order if i not in hit[:1]]
    return order


def same_record(a: PackageRecord, b: PackageRecord) -> bool:
    """The same build of the same package (channel and file format aside)."""
    return (a.name, a.version, a.build, a.subdir) == (b.name, b.version, b.build, b.subdir) or (
        (a.name, a.version, a.build) == (b.name, b.version, b.build) and not (a.subdir and b.subdir)
    )


def prefer_conda_format(records: list[PackageRecord]) -> list[PackageRecord]:
    """Drop a ``.tar.bz2`` record when the same build also exists as ``.conda``."""
    keep: dict[tuple, PackageRecord] = {}
    for record in records:
        key = (record.name, record.version, record.build, record.subdir)
        if key not in keep or (record.fn.endswith(".conda") and not keep[key].fn.endswith(".conda")):
            keep[key] = record
    return list(keep.values())


VERSION_ONLY_FIELDS = ("build", "build_number", "channel", "subdir", "md5", "sha256", "fn", "url",
                       "license", "license_family", "track_features")


def version_only(spec) -> bool:
    """Whether a spec says nothing but a name and a version (most dependency texts)."""
    return all(getattr(spec, field, None) is None for field in VERSION_ONLY_FIELDS)


def mask_of(bits) -> int:
    """A mask from a sequence of booleans (bit i set when bits[i] is true)."""
    mask = 0
    for i, bit in enumerate(bits):
        if bit:
            mask |= 1 << i
    return mask


def mask_from_bool_array(array) -> int:
    """A mask from a numpy bool array, without a Python loop over its items."""
    import numpy as np  # lazy: only the kernel's answers are numpy arrays

    packed = np.packbits(np.asarray(array, dtype=bool), bitorder="little")
    return int.from_bytes(packed.tobytes(), "little")


def indexes(mask: int):
    """The candidate indexes in `mask`, best first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def best_index(mask: int) -> int:
    """The most preferred candidate in a non-empty mask."""
    return (mask & -mask).bit_length() - 1


class Provider:
    """Answers the search's questions about one `SolveTask`, caching every answer."""

    def __init__(self, task: SolveTask) -> None:
        self.task = task
        self.virtual = {}
        for record in task.virtual_packages:
            self.virtual.setdefault(record.name, []).append(record)
        self.locked = {record.name: record for record in task.locked}
        self.pinned = {record.name: record for record in task.pinned}
        # Specs that name a channel ("pytorch::pytorch") choose where that name comes from.
        self.from_channel = {}
        for spec in map(as_spec, [*task.specs, *task.constraints]):
            if spec.channel:
                self.from_channel[spec.name] = parse_spec(f"{spec.channel}::{spec.name}")
        self._gathered: dict[str, tuple[list, list, list]] = {}
        self._candidates: dict[str, Candidates] = {}
        self._matches: dict[str, int] = {}
        self._labels: dict[tuple[str, int], str] = {}  # (name, mask) -> the spec text that made it
        self._unlabelled: dict[str, list[str]] = {}  # name -> texts looked ahead at (see labels)
        self.python_checks = 0  # versions checked in Python on big names (see KERNEL_WORK)
        self._levels: dict[str, list] = {}  # name -> its versions, highest first (_reach_by_versions)
        self._previews: dict[str, Candidates] = {}  # names only looked ahead at (see _look_ahead)
        self._preview_masks: dict[str, int] = {}  # spec text -> its mask of the preview
        self._reaches: dict[str, tuple] = {}  # spec text -> what it reaches (see spec_reach)
        self._depends: dict[str, dict[str, int]] = {}
        self._constrains: dict[str, dict[str, int]] = {}
        self._direct: set[str] | None = None  # the names the specs ask for (lowest-direct)

    # --8<-- [start:candidates]
    def candidates(self, name: str) -> Candidates:
        """Every record of `name`, best first, with excluded ones marked (cached)."""
        found = self._candidates.get(name)
        if found is None:
            records, origins, hidden = self._gather(name)
            order = sort_best_first(records, self.locked.get(name), self.dependency_scores,
                                    lowest=self.lowest_first(name), channel_rank=self._channel_rank(origins))
            found = Candidates(name, [records[i] for i in order], [origins[i] for i in order])
            hidden_mask = mask_of(hidden[i] for i in order)
            if hidden_mask:
                found.excluded["channel-priority"] = hidden_mask
            self._exclude_unpinned(found)
            self._candidates[name] = found
            self._previews.pop(name, None)
        return found
    # --8<-- [end:candidates]

    def _channel_rank(self, origins: list[str]) -> list[int] | None:
        """Flexible channel priority (rattler's ``Flexible``): every channel's records stay
        candidates, but those of a higher-priority channel all come before the next channel's,
        whatever their versions. None for strict and disabled priority."""
        if self.task.channel_priority != "flexible":
            return None
        rank_of: dict[str, int] = {}
        for position, source in enumerate(self.task.sources):
            rank_of.setdefault(source_label(source, position), position)
        return [rank_of.get(origin, len(self.task.sources)) for origin in origins]

    def lowest_first(self, name: str) -> bool:
        """Whether the solve strategy wants the lowest versions of `name` first."""
        strategy = self.task.strategy
        if strategy == "lowest-direct":
            if self._direct is None:
                self._direct = {as_spec(spec).name for spec in self.task.specs}
            return name in self._direct
        return strategy == "lowest"

    # --8<-- [start:dependency_scores]
    def dependency_scores(self, tied: list[PackageRecord]) -> list[tuple]:
        """Rank records that tie on version and build number by what their dependencies allow,
        as rattler does: for each name they all depend on (alphabetically), the best version
        their specs on that name can reach (smaller is better; reaching none sorts last).

        A spec "reaches" the highest version among the records it matches (`spec_reach`); of
        several specs on one name the best counts. Only versions count, not builds: two
        records whose dependencies reach the same versions stay tied (then the newest
        timestamp wins). So of two numpy builds, for python 3.12 and 3.13, the one for 3.13
        wins. The look-ahead is one step deep, as rattler's: it reads the versions of the
        dependencies, never how *their* ties are broken, so sorting numpy never sorts python.
        """
        wanted = [self._dependency_texts(record) for record in tied]
        shared = set.intersection(*(set(texts) for texts in wanted)) - {tied[0].name}
        names = sorted(shared)
        return [tuple(min(map(self.spec_reach, texts[name])) for name in names) for texts in wanted]

    def spec_reach(self, text: str) -> tuple:
        """How good the best version the dependency `text` can reach is (smaller is better),
        cached by text: a version whose record has tracked features counts below any without,
        reaching a locked record beats all, and reaching nothing is worst. Read from the
        name's candidates once the search has asked for them; before that, from its versions,
        highest first (`_reach_by_versions`), without sorting its records at all.
        """
        found = self._reaches.get(text)
        if found is None:
            spec = as_spec(text)
            lowest = self.task.strategy == "lowest"
            reach = self._reach_lowest if lowest else self._reach
            if spec.name in self._candidates:
                found = reach(self._candidates[spec.name], self.matches(text))
            else:
                self._unlabelled.setdefault(spec.name, []).append(text)
                if self._versions_decide(spec.name, lowest):
                    found = self._reach_by_versions(spec, lowest)
                else:
                    found = reach(self._look_ahead(spec.name), self._preview_mask(text))
            self._reaches[text] = found
        return found
    # --8<-- [end:dependency_scores]

    def _dependency_texts(self, record: PackageRecord) -> dict[str, list[str]]:
        """For each name `record` depends on, its dependency texts on that name."""
        texts: dict[str, list[str]] = {}
        for text in record.depends:
            try:
                spec = as_spec(text)
            except MatchSpecError:
                continue
            texts.setdefault(spec.name, []).append(text)
        return texts

    def _versions_decide(self, name: str, lowest: bool) -> bool:
        """Whether a reach on `name` follows from versions alone: yes, unless a locked record
        or flexible channel priority puts records first whatever their version, or the name
        is sorted lowest first (``lowest-direct``), where `_reach` reads the first records."""
        return (name not in self.locked and self.task.channel_priority != "flexible"
                and (lowest or not self.lowest_first(name)))

    def _reach_by_versions(self, spec, lowest: bool) -> tuple:
        """`_reach` (or `_reach_lowest`) from the name's versions, highest first: the first
        version with a record that `spec` matches is the highest it reaches; it counts as
        tracked when every such record of that version has tracked features."""
        levels = self._levels.get(spec.name)
        if levels is None:
            levels = self._levels[spec.name] = version_levels(self._gather(spec.name)[0])
        plain = version_only(spec)
        for rank, versions in levels:
            hits = [record for version, records in versions
                    if spec.version is None or spec.version.matches(version)
                    for record in records if plain or spec.matches(record)]
            if hits:
                tracked = 1 if all(record.track_features for record in hits) else 0
                return (0, tracked, rank if lowest else -rank)
        return (1, 0, 0)

    def _look_ahead(self, name: str) -> Candidates:
        """The records of a name the search has not asked for yet, for `spec_reach` when
        versions alone do not decide (`_versions_decide`): in preference order *without* the
        dependency tie-break (`sort_best_first` without scores). The two orders differ only
        inside groups of the same channel, version, build number and tracked features, so the
        highest version a mask holds, and whether it has tracked features, come out the same;
        the locked record goes first in both."""
        found = self._previews.get(name)
        if found is None:
            records, origins, _ = self._gather(name)
            order = sort_best_first(records, self.locked.get(name), lowest=self.lowest_first(name),
                                    channel_rank=self._channel_rank(origins))
            found = self._previews[name] = Candidates(name, [records[i] for i in order],
                                                      [origins[i] for i in order])
        return found

    def _preview_mask(self, text: str) -> int:
        """`matches` on the preview of the name (cached by text)."""
        mask = self._preview_masks.get(text)
        if mask is None:
            spec = as_spec(text)
            mask = self._preview_masks[text] = self._mask(spec, self._previews[spec.name])
        return mask

    @property
    def labels(self) -> dict[tuple[str, int], str]:
        """(name, mask) -> the spec text an explanation names that set of candidates by: the
        first text that made the mask. Texts looked ahead at before their name had candidates
        came first, so they are placed first here, when an explanation asks (computing their
        masks during the search would cost as much as the sort `spec_reach` avoids)."""
        ready = [name for name in self._unlabelled if name in self._candidates]
        if ready:
            first: dict[tuple[str, int], str] = {}
            for name in ready:
                for text in self._unlabelled.pop(name):
                    first.setdefault((name, self._mask(as_spec(text), self._candidates[name])), text)
            self._labels = {**first, **{k: v for k, v in self._labels.items() if k not in first}}
        return self._labels

    @staticmethod
    def _ranks(cands: Candidates) -> tuple[list[int], int]:
        """Each candidate's version rank and the mask of those with tracked features."""
        if cands._ranks is None:
            cands._ranks = version_ranks(cands.records)
            cands._tracked = mask_of(bool(r.track_features) for r in cands.records)
        return cands._ranks, cands._tracked

    def _reach(self, cands: Candidates, mask: int) -> tuple:
        """What the spec matching `mask` of `cands` reaches (see `spec_reach`)."""
        if not mask:
            return (1, 0, 0)
        locked = self.locked.get(cands.name)
        if locked is not None and mask & 1 and same_record(cands.records[0], locked):
            return (-1, 0, 0)  # reaches the locked record (sorted first): keep the lock
        ranks, tracked = self._ranks(cands)
        # Candidates are sorted best first: without tracked features, then by version. So the
        # highest version is the first of `mask` without tracked features, or the first with
        # them (or the locked record, which goes first whatever its version).
        firsts = {best_index(part) for part in (mask & ~tracked & ~1, mask & tracked & ~1, mask & 1) if part}
        top = max(firsts, key=lambda i: (ranks[i], -i))  # the first of the highest version
        return (0, 1 if tracked >> top & 1 else 0, -ranks[top])

    def _reach_lowest(self, cands: Candidates, mask: int) -> tuple:
        """`_reach` for the ``lowest`` strategy. rattler still finds the *highest* version each
        dependency spec reaches, then prefers the record whose highest is the *lower* one (its
        ``find_highest_version`` and ``CompareStrategy::LowestVersion``): of two xorg-xproto
        builds, needing ``libgcc-ng >=7.3`` and ``>=9.3``, both reach the newest libgcc-ng, so
        they tie and the newer build wins. (``lowest-direct`` ranks as `_reach`.) Candidates are
        sorted lowest first here, so the highest is looked for in the whole mask."""
        if not mask:
            return (1, 0, 0)
        locked = self.locked.get(cands.name)
        if locked is not None and mask & 1 and same_record(cands.records[0], locked):
            return (-1, 0, 0)
        ranks, tracked = self._ranks(cands)
        top = max(indexes(mask), key=lambda i: (ranks[i], -i))
        return (0, tracked >> top & 1, ranks[top])

    def _gather(self, name: str) -> tuple[list, list, list]:
        """`_read_sources`, once per name (a preview and the candidates share it)."""
        found = self._gathered.get(name)
        if found is None:
            found = self._gathered[name] = self._read_sources(name)
        return found

    def _read_sources(self, name: str) -> tuple[list, list, list]:
        """Records of `name` from the task's sources, their origin, and whether each is hidden.

        Strict channel priority: the first source that has the name wins, and the records of
        the others are hidden, unless a spec asks for the name from a channel by name
        (``pytorch::pytorch``): then that channel's records are the visible ones.
        """
        if name.startswith("__"):
            records = self.virtual.get(name, [])
            return list(records), ["the platform"] * len(records), [False] * len(records)
        records, origins, position_of = [], [], []
        for position, source in enumerate(self.task.sources):
            # A record whose file name starts with another name ("anaconda-custom-0.tar.bz2"
            # for "dummy-anaconda") can come back under the wrong name: only its own counts.
            found = prefer_conda_format([r for r in source.records(name) if r.name == name])
            records += found
            origins += [source_label(source, position)] * len(found)
            position_of += [position] * len(found)
        hidden = self._hidden_by_priority(name, records, position_of)
        for kept, origin in ((self.pinned.get(name), "the pins"), (self.locked.get(name), "the lock")):
            if kept is not None and not any(same_record(r, kept) for r in records):
                records.append(kept)  # a pinned or locked record the channels no longer list
                origins.append(origin)
                hidden.append(False)
        cutoff = self.task.exclude_newer
        if cutoff is not None:  # exclude-newer: records built after the cut-off do not exist
            keep = [r.timestamp is None or r.timestamp <= cutoff for r in records]
            records, origins, hidden = ([x for x, k in zip(column, keep) if k] for column in (records, origins, hidden))
        return records, origins, hidden

    def _hidden_by_priority(self, name: str, records: list, position_of: list[int]) -> list[bool]:
        if self.task.channel_priority != "strict" or not records:
            return [False] * len(records)
        asked = self.from_channel.get(name)
        if asked is not None and any(asked.matches(r) for r in records):
            return [not asked.matches(r) for r in records]
        winner = position_of[0]
        return [position != winner for position in position_of]

    def _exclude_unpinned(self, found: Candidates) -> None:
        """A pinned name keeps its other records only as excluded candidates."""
        pin = self.pinned.get(found.name)
        if pin is None:
            return
        others = mask_of(not same_record(r, pin) for r in found.records)
        if others:
            found.excluded["pinned"] = others

    def is_hidden(self, name: str, index: int) -> bool:
        """Whether candidate `index` of `name` is excluded for any reason."""
        return any(mask >> index & 1 for mask in self.candidates(name).excluded.values())

    # --8<-- [start:matches]
    def matches(self, spec) -> int:
        """The mask of the candidates of ``spec.name`` that `spec` (a MatchSpec or its text)
        matches, cached by text."""
        key = spec if isinstance(spec, str) else str(spec)
        mask = self._matches.get(key)
        if mask is None:
            spec = as_spec(spec)
            mask = self._matches[key] = self._mask(spec, self.candidates(spec.name))
            self._labels.setdefault((spec.name, mask), key)
        return mask
    # --8<-- [end:matches]

    def _mask(self, spec, cands: Candidates) -> int:
        """The mask of `cands` that `spec` matches: versions first, then the rest."""
        allowed = self._version_mask(spec, cands)
        if not version_only(spec):  # build, channel, ...: check the survivors one by one
            records = cands.records
            allowed = sum(1 << i for i in indexes(allowed) if spec.matches(records[i]))
        return allowed

    def _version_mask(self, spec, cands: Candidates) -> int:
        """The candidates whose version matches: one check per distinct version (the builds of
        a version share its answer), or the numba kernel when there are many."""
        records = cands.records
        if spec.version is None:
            return cands.full
        if cands._by_version is None:
            cands._by_version = version_groups(records)
        if not self._kernel_pays(len(records), len(cands._by_version)):
            return sum(mask for version, mask in cands._by_version if spec.version.matches(version))
        from minipixi import version_kernel  # lazy: numba takes ~1.5 s to start (see KERNEL_WORK)

        if cands._encoded is None:
            cands._encoded = version_kernel.encode_versions([r.parsed_version for r in records])
        return mask_from_bool_array(version_kernel.matches(spec.version, cands._encoded))

    def _kernel_pays(self, count: int, checks: int | None = None) -> bool:
        """The ski-rental rule above: count Python checks (`checks`, by default one per
        candidate, for a name of `count` candidates) on big names until the kernel pays."""
        if count < KERNEL_MIN_CANDIDATES:
            return False
        if self.python_checks >= KERNEL_WORK or kernel_started():
            return True
        self.python_checks += count if checks is None else checks
        return False

    def dependencies(self, name: str, index: int) -> tuple[str, ...]:
        """The dependency texts of candidate `index` of `name`, in the record's order (the
        order the search opens them in; `pypi/provider.py` answers the same question)."""
        return tuple(self.candidates(name).records[index].depends)

    @staticmethod
    def target_of(text: str) -> str | None:
        """The name a dependency text is about; None when it cannot be parsed (the search
        turns such a text into a `Malformed` fact instead)."""
        try:
            return as_spec(text).name
        except MatchSpecError:
            return None

    def depends_groups(self, name: str) -> dict[str, int]:
        """For each dependency text among the records of `name`: the mask of records listing it."""
        groups = self._depends.get(name)
        if groups is None:
            groups = self._group(name, "depends")
            self._depends[name] = groups
        return groups

    def constrains_groups(self, name: str) -> dict[str, int]:
        """For each ``constrains`` text among the records of `name`: the mask of records listing it."""
        groups = self._constrains.get(name)
        if groups is None:
            groups = self._group(name, "constrains")
            self._constrains[name] = groups
        return groups

    def _group(self, name: str, attribute: str) -> dict[str, int]:
        groups: dict[str, int] = {}
        for i, record in enumerate(self.candidates(name).records):
            for text in getattr(record, attribute):
                groups[text] = groups.get(text, 0) | (1 << i)
        return groups
