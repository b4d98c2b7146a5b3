"""Handing the proof over: the search's failure, masks and all, made `solver/report.py` data.

Inside the search a set of records is a mask over one name's candidates, and a proof is a
graph of `Incompatibility` objects that share their steps. This module reads that graph once,
with the `Provider` that gave the bits their meaning, and writes down what an explanation
needs as plain values: every term's builds by name and version, every package the proof
mentions with its candidates and what the request allows of it, the spec texts that name
those sets, what the platform provides. After this, nothing downstream needs the search, the
provider or a mask (`solver/explain.py` reads only the `Failure`). `steps`, `convert` and
`builds_of` serve the PyPI resolver too (`pypi/explain.py`), whose search is this one.

It also looks, in the records themselves, for the two failures that need no derivation to be
understood (`Unavailable`: every allowed build of a requested package needs a version that no
channel has; `Disjoint`: two requested packages need versions of one dependency that no
version satisfies at once), and hands one over as the failure's `shortcut`.

Lesson: Episode 2, "Under the hood: the solver" (explaining failure). Read after
`solver/report.py`; read next `solver/explain.py`. Ground truth: pubgrub-rs
(``Incompatibility::build_derivation_tree`` in ``internal/incompatibility.rs``).
"""

from __future__ import annotations

from minipixi.errors import MatchSpecError
from minipixi.solver import report
from minipixi.solver.incompatibility import Derived, Incompatibility
from minipixi.solver.provider import Provider, as_spec, indexes
from minipixi.solver.task import source_label


# --8<-- [start:failure]
def failure_report(provider: Provider, root: Incompatibility) -> report.Failure:
    """The failure proved by `root` (the empty incompatibility), as data."""
    requests = _requests(provider)
    unavailable = _unavailable(provider, requests)
    disjoint = _disjoint(provider, requests)  # always looked for: it reads specs, as above
    facts = steps(root)
    target = unavailable[1] if unavailable else disjoint[2] if disjoint else None
    names = _names(facts, requests, target)
    masks = _masks_mentioned(facts, requests)
    packages = {name: _package(provider, name, masks.get(name, ())) for name in names}

    def request(item: tuple[str, str, int]) -> report.Request:
        name, text, allowed = item
        return report.Request(name, text, builds_of(packages[name], allowed))

    shortcut = None
    if unavailable is not None:
        (item, target, wanted) = unavailable
        shortcut = report.Unavailable(request(item), target, wanted)
    elif disjoint is not None:
        (item1, item2, target, wanted1, wanted2) = disjoint
        shortcut = report.Disjoint(request(item1), request(item2), target, wanted1, wanted2)
    task = provider.task
    return report.Failure(
        root=convert(root, facts, packages),
        packages=packages,
        requests=tuple(request(item) for item in requests),
        virtual={name: tuple(r.version for r in records) for name, records in provider.virtual.items()},
        pinned={name: (r.version, r.build) for name, r in provider.pinned.items()},
        sources=tuple(source_label(s, i) for i, s in enumerate(task.sources)),
        platform=task.platform,
        label=task.label,
        shortcut=shortcut,
    )
# --8<-- [end:failure]


# --- the graph --------------------------------------------------------------------------------


def steps(root: Incompatibility) -> list[Incompatibility]:
    """Every incompatibility of the proof, each once, causes before what they explain."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if isinstance(node.cause, Derived):
            stack += [(node.cause.cause2, False), (node.cause.cause1, False)]
    return order


def convert(root: Incompatibility, facts: list[Incompatibility], packages) -> report.Fact:
    """The proof as `report.Fact` values; a step shared in the search is shared here too."""
    done: dict[int, report.Fact] = {}
    for node in facts:
        terms = tuple(report.Term(t.name, builds_of(packages[t.name], t.mask), t.positive) for t in node.terms)
        cause = node.cause
        if isinstance(cause, Derived):
            cause = report.Derived(done[id(cause.cause1)], done[id(cause.cause2)])
        done[id(node)] = report.Fact(terms, cause)
    return done[id(root)]


def builds_of(package: report.Package, mask: int) -> tuple[report.Build, ...]:
    return tuple(package.builds[i] for i in indexes(mask))


# --- the packages it mentions -----------------------------------------------------------------


def _names(facts, requests, target: str | None) -> list[str]:
    """Every name the explanation may word: in a term, a spec of an external fact, a request,
    the shortcut's `target`. (The search has read the candidates of each already.)"""
    names = dict.fromkeys(name for name, _, _ in requests)
    for node in facts:
        names.update(dict.fromkeys(t.name for t in node.terms))
        spec = getattr(node.cause, "spec", None)
        if spec and not isinstance(node.cause, report.Malformed):
            try:
                names[as_spec(spec).name] = None
            except MatchSpecError:
                pass
    if target is not None:
        names[target] = None
    return list(names)


def _masks_mentioned(facts, requests) -> dict[str, set[int]]:
    """For each name, the sets of candidates the explanation may describe."""
    masks: dict[str, set[int]] = {}
    for node in facts:
        for term in node.terms:
            masks.setdefault(term.name, set()).add(term.mask)
    for name, _, allowed in requests:
        masks.setdefault(name, set()).add(allowed)
    return masks


def _package(provider: Provider, name: str, masks) -> report.Package:
    """A name's candidates as builds, what the request allows, and the names of its sets: the
    spec text that selects exactly a set mentioned (or the part of it the request allows)."""
    cands = provider.candidates(name)
    builds = tuple(report.Build(name, r.version, r.build, cands.origins[i], i) for i, r in enumerate(cands.records))
    asked = requested_range(provider, name)
    described = set(masks) | ({m & asked for m in masks} if asked is not None else set())
    labels = {}
    for mask in sorted(described):
        label = provider.labels.get((name, mask))
        if label is not None:
            labels[tuple(builds[i] for i in indexes(mask))] = label
    requested = None if asked is None else tuple(builds[i] for i in indexes(asked))
    return report.Package(name, builds, requested, labels)


def requested_range(provider: Provider, name: str) -> int | None:
    """The candidates of `name` that every spec of the request on it matches (None when the
    request does not name it)."""
    cache = provider.__dict__.setdefault("_requested_ranges", {})
    if name not in cache:
        masks = [provider.matches(text) for text in map(str, provider.task.specs) if as_spec(text).name == name]
        allowed = None
        for mask in masks:
            allowed = mask if allowed is None else allowed & mask
        cache[name] = allowed
    return cache[name]


# --- failures the records show on their own ---------------------------------------------------


def _requests(provider: Provider) -> list[tuple[str, str, int]]:
    """(name, spec text, allowed mask) for each requested name, in request order."""
    out, seen = [], set()
    for text in map(str, provider.task.specs):
        name = as_spec(text).name
        if name not in seen and not name.startswith("__"):
            seen.add(name)
            out.append((name, text, requested_range(provider, name) or 0))
    return out


def _needs(provider: Provider, name: str, allowed: int) -> dict[str, list[tuple[str, int]]]:
    """For each name every allowed record of `name` depends on: (spec text, matches) pairs."""
    cands = provider.candidates(name)
    per_record = []
    for i in indexes(allowed):
        needs: dict[str, list[str]] = {}
        for text in cands.records[i].depends:
            try:
                needs.setdefault(as_spec(text).name, []).append(text)
            except Exception:  # a malformed spec: the search explains it
                return {}
        per_record.append(needs)
    if not per_record:
        return {}
    shared = set.intersection(*(set(n) for n in per_record))
    return {target: [(t, provider.matches(t)) for t in dict.fromkeys(x for n in per_record for x in n[target])]
            for target in sorted(shared)}


def _unavailable(provider: Provider, requests):
    """(request, target, wanted specs) when every allowed record of a requested name needs a
    package version no channel has."""
    for name, text, allowed in requests:
        if not allowed or any(provider.is_hidden(name, i) for i in indexes(allowed)):
            continue
        cands = provider.candidates(name)
        records = [cands.records[i] for i in indexes(allowed)]
        for target, specs in _needs(provider, name, allowed).items():
            if any(mask for _, mask in specs) or target.startswith("__"):
                continue
            if not all(any(as_spec(t).name == target and provider.matches(t) == 0 for t in r.depends) for r in records):
                continue
            return (name, text, allowed), target, tuple(t for t, _ in specs)
    return None


def _disjoint(provider: Provider, requests):
    """(request 1, request 2, target, wanted 1, wanted 2) when the records of two requested
    names need disjoint versions of one dependency."""
    needs = {name: _needs(provider, name, allowed) for name, _, allowed in requests if allowed}
    for a, first in enumerate(requests):
        for second in requests[a + 1:]:
            name1, name2 = first[0], second[0]
            for target in sorted(set(needs.get(name1, {})) & set(needs.get(name2, {}))):
                union1 = union2 = 0
                for _, mask in needs[name1][target]:
                    union1 |= mask
                for _, mask in needs[name2][target]:
                    union2 |= mask
                if union1 & union2 or not (union1 and union2):
                    continue
                return (first, second, target, tuple(t for t, _ in needs[name1][target]),
                        tuple(t for t, _ in needs[name2][target]))
    return None
