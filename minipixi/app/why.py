"""Why is this package here? Every path from the manifest to one package of a locked environment.

Reading order: after `app/inspect.py` (it reads a lock's records, as ``tree`` does); read next
`app/graph.py`.
Episode 4 uses it: ``minipixi why python`` answers the question a learner asks when a package
they never typed shows up in ``minipixi list``.

No solve is needed. A lock already holds the answer: each locked record keeps its ``depends``
(the specs its build asked for), and the manifest says which specs the user asked for. The locked
environment is a graph: the manifest points at its dependencies, each record points at the
records its specs name. A *path* is a walk in that graph from the manifest to the package, and
each edge carries the spec that made it (``numpy 2.3.0 needs python >=3.13,<3.14.0a0``).

Paths are found breadth-first, so the shortest come first, and only through packages that can
reach the target at all (a backwards search marks them first). A package can be reached in very
many ways in a big environment, so the walk stops at `MAX_PATHS` paths (or `MAX_STEPS` partial
ones) and says it did.

PyPI packages are nodes too (`pypi_part`): the manifest's ``[pypi-dependencies]`` point at them,
and each locked wheel points at what its ``requires_dist`` names, with the markers evaluated for
the platform's locked Python as the lock step did and the extras some requirement asked for
followed (``tinyconfig[units]`` reaches ``tinyunits``, plain ``tinyconfig`` does not). A PyPI
requirement on a name a conda package provides (its ``pkg:pypi`` purl) leads to that conda
package, as it did when the environment was locked. A PyPI node's id is ``pypi:<name>`` (`PYPI`),
so it never collides with a conda package of the same name; `label` shows it without the prefix.

Virtual packages (``__cuda``, ``__glibc``) are never locked: they describe the machine. They are
still graph nodes here, reached by the ``depends`` that name them, so ``minipixi why __cuda``
lists the packages that need a GPU driver, and why each of those is in the environment.

The same graph explains a *successful* solve (``--explain`` on ``lock``, ``add`` and ``update``):
`version_reasons` says, for each package, the edge that brought it in and, when the channels
hold a newer version, what keeps that version out: a spec on the way in ("numpy 1.26.4 ...
legacy-stats 0.9.0 needs numpy >=1.21,<2"), or a dependency of the newer build that the locked
environment does not satisfy. It reads the lock and the channel index; it never solves again.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from minipixi.app.project import host_platform_entry
from minipixi.app.relock import load_sources
from minipixi.errors import InstallError, LockError
from minipixi.lock.model import lock_platform_names, normalize_pypi_name
from minipixi.lock.pypi_satisfiability import as_requirement, conda_as_pypi, marker_environment, python_record
from minipixi.matchspec import MatchSpec
from minipixi.records import PackageRecord

#: Stop listing after this many paths (a big environment can reach one package in thousands).
MAX_PATHS = 50
#: ... and after looking at this many partial paths (detours can multiply before any ends).
MAX_STEPS = 200_000
#: The name of the graph's start: the manifest itself.
MANIFEST = "pixi.toml"
#: The prefix of a PyPI package's id in the graph (a conda package may have the same name).
PYPI = "pypi:"


def label(node: str) -> str:
    """A node's name as a user writes it: a PyPI package's without its ``pypi:`` prefix."""
    return node[len(PYPI):] if node.startswith(PYPI) else node


@dataclass(frozen=True)
class Step:
    """One edge of a path: the parent's `spec` selected package `name` at `version`.

    The parent is the previous step's package (or the manifest for the first step). `version` is
    empty for a virtual package, which no lock records."""

    spec: str
    name: str
    version: str

    @property
    def virtual(self) -> bool:
        return self.name.startswith("__")

    @property
    def pypi(self) -> bool:
        return self.name.startswith(PYPI)


@dataclass(frozen=True)
class Answer:
    """Why `package` is in `environment` on `platform`: the paths, shortest first."""

    package: str
    version: str
    environment: str
    platform: str
    paths: tuple[tuple[Step, ...], ...]
    truncated: bool  # True when there were more than the paths listed

    @property
    def direct(self) -> bool:
        """True when the manifest asks for the package itself."""
        return any(len(path) == 1 for path in self.paths)

    def to_json(self) -> dict:
        pypi = {"kind": "pypi"}  # a PyPI package says so; a conda one (the default) does not
        return {
            "package": label(self.package), **(pypi if self.package.startswith(PYPI) else {}),
            "version": self.version, "environment": self.environment,
            "platform": self.platform, "direct": self.direct, "truncated": self.truncated,
            "paths": [[{"from": MANIFEST if i == 0 else label(path[i - 1].name), "spec": step.spec,
                        "to": label(step.name), **(pypi if step.pypi else {}), "version": step.version}
                       for i, step in enumerate(path)] for path in self.paths],
        }


@dataclass(frozen=True)
class PypiPart:
    """The PyPI side of a locked environment as graph edges (see the module): each PyPI node's
    version, its edges (requirement text, child id: a PyPI id or a conda name), and the
    manifest's edges to them (requirement text, id)."""

    versions: Mapping[str, str]
    edges: Mapping[str, list[tuple[str, str]]]
    roots: list[tuple[str, str]]


def spec_name(spec: str) -> str:
    """The package name a dependency spec names: its first word, without a channel prefix."""
    head = spec.strip().split(None, 1)[0] if spec.strip() else ""
    for stop in "=<>!~[":
        head = head.split(stop, 1)[0]
    return head.rsplit("::", 1)[-1].lower()


def edges(records: Iterable[PackageRecord]) -> dict[str, list[tuple[str, str]]]:
    """The graph: package name -> [(spec, child name)] for each spec naming a locked or virtual
    package, in the record's order. A spec naming something not locked (an optional
    dependency of another platform, say) has no edge."""
    records = list(records)
    locked = {r.name for r in records}
    graph: dict[str, list[tuple[str, str]]] = {}
    for record in records:
        out = []
        for spec in record.depends:
            child = spec_name(spec)
            if child in locked or child.startswith("__"):
                out.append((spec, child))
        graph[record.name] = out
    return graph


# --8<-- [start:explain]
def explain(records: Iterable[PackageRecord], requested: Mapping[str, str], package: str, *,
            environment: str, platform: str, where: str = "pixi.lock", pypi: PypiPart | None = None,
            max_paths: int = MAX_PATHS, max_steps: int = MAX_STEPS) -> Answer:
    """Every path (up to `max_paths`) from the manifest's `requested` specs (name -> spec text)
    to `package` in the locked `records` of `environment` on `platform`, and through the `pypi`
    part of the environment when given (`package` may then be a PyPI package).

    Raises `LockError` naming the environment and platform when the package is not there.
    """
    records = list(records)
    target = package.strip().lower()
    by_name: dict[str, str] = {r.name: r.version for r in records}
    graph = edges(records)
    graph[MANIFEST] = [(spec, name.lower()) for name, spec in requested.items()
                       if name.lower() in by_name]
    if pypi is not None:
        by_name.update(pypi.versions)
        graph.update(pypi.edges)
        graph[MANIFEST] += pypi.roots
        if target not in by_name and PYPI + normalize_pypi_name(target) in by_name:
            target = PYPI + normalize_pypi_name(target)
    reachable = {child for out in graph.values() for _, child in out}
    if target not in by_name and not (target.startswith("__") and target in reachable):
        virtual = target.startswith("__")
        raise LockError(
            f"no package of environment '{environment}' on {platform} needs '{package}'" if virtual
            else f"'{package}' is not in environment '{environment}' on {platform}",
            where=where,
            hint=(f"`minipixi list -e {environment} -p {platform}` shows what is there"
                  + ("" if virtual else f"; `minipixi add {package}` would add it")),
        )
    # Backwards first: which nodes can reach the target at all? The walk only enters those.
    parents: dict[str, set[str]] = {}
    for parent, out in graph.items():
        for _, child in out:
            parents.setdefault(child, set()).add(parent)
    leads = {target}
    queue = deque([target])
    while queue:
        for parent in parents.get(queue.popleft(), ()):
            if parent not in leads:
                leads.add(parent)
                queue.append(parent)
    # Forwards, breadth-first: shortest paths first; a path never visits a package twice.
    found: list[tuple[Step, ...]] = []
    walk: deque[tuple[str, tuple[Step, ...]]] = deque([(MANIFEST, ())])
    truncated = False
    steps = 0
    while walk:
        steps += 1
        if steps > max_steps:
            truncated = True
            break
        node, path = walk.popleft()
        seen = {step.name for step in path}
        for spec, child in graph.get(node, ()):
            if child not in leads or child in seen:
                continue
            step = Step(spec, child, by_name.get(child, ""))
            if child == target:
                if len(found) == max_paths:
                    truncated = True
                    walk.clear()
                    break
                found.append(path + (step,))
            else:
                walk.append((child, path + (step,)))
    return Answer(target, by_name.get(target, ""), environment, platform, tuple(found), truncated)
# --8<-- [end:explain]


def pypi_part(packages: Iterable, requirements: Mapping[str, object], conda_names: Iterable[str],
              provided: Mapping[str, str], markers: Mapping[str, str] | None) -> PypiPart:
    """The graph of the locked PyPI `packages` (`PypiPackage`s) from the manifest's
    `requirements` (name -> its ``[pypi-dependencies]`` entry). `provided`: PyPI name -> the conda
    package that provides it; `markers`: what PEP 508 markers see on this platform (None: the
    locked Python is unknown, and every marker is taken to hold)."""
    from packaging.markers import UndefinedEnvironmentName  # lazy: packaging, PyPI only
    from packaging.requirements import InvalidRequirement, Requirement  # lazy: as above

    locked = {normalize_pypi_name(p.name): p for p in packages}
    conda = set(conda_names)

    def holds(requirement, extras) -> bool:
        if requirement.marker is None or markers is None:
            return True
        try:
            return any(requirement.marker.evaluate({**markers, "extra": e}) for e in ("", *extras))
        except UndefinedEnvironmentName:
            return True

    def node(name: str) -> str | None:
        key = normalize_pypi_name(name)
        if key in locked:
            return PYPI + key
        return provided.get(key) if provided.get(key) in conda else None

    def parsed(text: str):
        try:
            return Requirement(text)
        except InvalidRequirement:
            return None

    roots, queue = [], []
    for name, entry in requirements.items():
        requirement = as_requirement(name, entry)
        if requirement is not None and holds(requirement, requirement.extras):
            queue.append(requirement)
            if node(requirement.name):
                roots.append((str(requirement), node(requirement.name)))
    extras: dict[str, set[str]] = {}  # which extras were asked of each reached package
    while queue:
        requirement = queue.pop()
        key = normalize_pypi_name(requirement.name)
        if key not in locked or (key in extras and set(requirement.extras) <= extras[key]):
            continue  # conda provides it, or it was followed with these extras already
        extras.setdefault(key, set()).update(requirement.extras)
        queue += [child for child in map(parsed, locked[key].requires_dist)
                  if child is not None and holds(child, extras[key])]
    graph = {}
    for key, package in locked.items():
        out = []
        for text in package.requires_dist:
            child = parsed(text)
            if child is not None and holds(child, extras.get(key, ())) and node(child.name):
                out.append((text, node(child.name)))
        graph[PYPI + key] = out
    return PypiPart({PYPI + key: p.version or "" for key, p in locked.items()}, graph, roots)


def environment_pypi(project, environment: str, platform: str) -> PypiPart | None:
    """The `PypiPart` of `environment` on the manifest `platform` from the project's lock, or
    None when it has no PyPI packages and asks for none."""
    lock, ws = project.lock, project.workspace
    name = lock_platform_names(ws).get(platform, platform)
    env_lock = lock.environments.get(environment) if lock is not None else None
    resolved = ws.resolve(environment, platform)
    if env_lock is None or not (env_lock.pypi_packages(name) or resolved.pypi_dependencies):
        return None
    python = python_record(env_lock, name)
    markers = marker_environment(python, resolved.subdir) if python is not None else None
    provided = {key: conda for key, (conda, _) in conda_as_pypi(env_lock, name).items()}
    return pypi_part(env_lock.pypi_packages(name), resolved.pypi_dependencies,
                     (p.name for p in env_lock.conda_packages(name)), provided, markers)


def manifest_specs(resolved) -> dict[str, str]:
    """The specs a `ResolvedEnvironment` asks for, as text (name -> ``numpy >=2.3.0,<3``)."""
    return {name: dep.matchspec_text() for name, dep in resolved.dependencies.items()}


def render(answer: Answer) -> str:
    """The answer as `minipixi why` prints it: one block per path, one line per edge."""
    title = f"{label(answer.package)} {answer.version}".strip() + (" (pypi)" if answer.package.startswith(PYPI) else "")
    count = f"{len(answer.paths)}{'+' if answer.truncated else ''}"
    head = (f"{title} is in environment '{answer.environment}' on {answer.platform}: "
            f"{count} path{'s' if count != '1' else ''} from {MANIFEST}"
            + (" (it asks for it directly)" if answer.direct else ""))
    lines = [head]
    for path in answer.paths:
        lines.append("")
        lines.append(f"{MANIFEST} asks for {path[0].spec}")
        for before, step in zip(path, path[1:]):
            lines.append(f"  → {label(before.name)} {before.version}{' (pypi)' if before.pypi else ''} "
                         f"needs {step.spec}")
        last = path[-1]
        lines.append(f"  → {label(last.name)} {last.version}".rstrip() + (" (virtual: the machine provides it)"
                                                                           if last.virtual else " (pypi)" if last.pypi else ""))
    if answer.truncated:
        lines += ["", f"(only the first {len(answer.paths)} paths are shown)"]
    return "\n".join(lines)


# ---- explaining a successful solve: what brought each package in, and what held its version --
@dataclass(frozen=True)
class Reason:
    """Why `name` is locked at `version`: who asked for it, the newest version the channels
    have, and (when that is newer) what keeps it out, as sentences."""

    name: str
    version: str
    brought_by: str
    newest: str
    limited_by: tuple[str, ...]

    def sentence(self) -> str:
        if not self.newest or self.newest == self.version:
            held = "the newest available"
        else:
            held = f"{self.newest} is newer, but " + "; ".join(self.limited_by)
        return f"{self.name} {self.version}: {self.brought_by}; {held}"

    def to_json(self) -> dict:
        return {"name": self.name, "version": self.version, "brought_by": self.brought_by,
                "newest": self.newest, "limited_by": list(self.limited_by)}


def _matches(spec: str, record: PackageRecord) -> bool:
    return MatchSpec.parse(spec).matches(record)


def version_reasons(records: Iterable[PackageRecord], requested: Mapping[str, str],
                    available: Callable[[str], Sequence[PackageRecord]], *, environment: str,
                    platform: str) -> list[Reason]:
    """For each locked record: the shortest path's last edge (what brought it in) and, when the
    channels (`available(name)`: every record of a name) have a newer version, what rejects it:
    a spec on the way in (``legacy-stats 0.9.0 needs numpy <2``), or a dependency of the newer
    version that the locked environment does not satisfy. Pure: no solve, no download."""
    records = sorted(records, key=lambda r: r.name)
    by_name = {r.name: r for r in records}
    incoming: dict[str, list[tuple[str, str]]] = {}  # name -> [(who, spec)]
    for name, spec in requested.items():
        incoming.setdefault(name.lower(), []).append((MANIFEST, spec))
    graph = edges(records)
    for parent, out in graph.items():
        for spec, child in out:
            incoming.setdefault(child, []).append((f"{parent} {by_name[parent].version}", spec))
    reasons = []
    for record in records:
        path = explain(records, requested, record.name, environment=environment, platform=platform,
                       max_paths=1).paths
        if not path:
            brought = "nothing in the manifest reaches it"
        elif len(path[0]) == 1:
            brought = f"{MANIFEST} asks for {path[0][0].spec}"
        else:
            parent = path[0][-2]
            brought = f"{parent.name} {parent.version} needs {path[0][-1].spec}"
        builds = list(available(record.name))
        newest = max(builds, key=lambda r: r.parsed_version, default=None)
        limited: list[str] = []
        if newest is not None and newest.parsed_version > record.parsed_version:
            newer = [b for b in builds if b.parsed_version == newest.parsed_version]
            for who, spec in incoming.get(record.name, ()):
                if not any(_matches(spec, b) for b in newer):
                    limited.append(f"{MANIFEST} asks for {spec}" if who == MANIFEST else f"{who} needs {spec}")
            if not limited:  # every spec allows it: its own dependencies do not fit the environment
                for dep in newer[0].depends:
                    other = by_name.get(spec_name(dep))
                    if other is not None and not _matches(dep, other):
                        limited.append(f"{newest.name} {newest.version} needs {dep} and "
                                       f"{other.name} {other.version} is locked")
            if not limited:
                limited.append("the solver preferred newer versions of other packages")
        reasons.append(Reason(record.name, record.version, brought,
                              newest.version if newest is not None else "", tuple(limited)))
    return reasons


def explain_lock(project, lock, environments: Iterable[str]) -> list[tuple[str, str, list[Reason]]]:
    """`version_reasons` for each of `environments` on the platform this machine installs
    (else its first platform), reading the channels the solve read. [(env, platform, reasons)]"""
    ws = project.workspace
    out = []
    for env in environments:
        try:
            platform = host_platform_entry(project, env)
        except InstallError:  # this machine is not one of the environment's platforms
            platform = ws.environment_platforms(env)[0]
        env_lock = lock.environments.get(env)
        name = lock_platform_names(ws)[platform]
        if env_lock is None or name not in env_lock.packages:
            continue
        resolved = ws.resolve(env, platform)
        sources = load_sources(project.config, resolved.channels, resolved.subdir)

        def available(package: str, sources=sources) -> list[PackageRecord]:
            return [r for source in sources for r in source.records(package)]

        records = [p.record for p in env_lock.conda_packages(name)]
        out.append((env, name, version_reasons(records, manifest_specs(resolved), available,
                                               environment=env, platform=name)))
    return out


def render_reasons(explained: list[tuple[str, str, list[Reason]]]) -> str:
    """What ``--explain`` prints: one block per environment, one line per package."""
    lines = []
    for env, platform, reasons in explained:
        lines.append(f"Environment '{env}' on {platform}:")
        lines += [f"  {reason.sentence()}" for reason in reasons]
    return "\n".join(lines)
