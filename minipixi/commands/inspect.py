"""The inspect area of the command line: ``list``, ``tree``, ``why``, ``diff``, ``info`` and
``clean``.

The data comes from `app/inspect.py` (and `app/why.py`, `app/graph.py`); this module turns it
into tables, trees, JSON and pictures.

Read after `commands/environment.py`; read next `commands/export.py`.
"""

from __future__ import annotations

import argparse
import json

from minipixi.commands.common import add_workspace_options, lock_options, mode, open_project, out, solving, status


def _human_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""


def _locked(project, args: argparse.Namespace):
    """(environment, platform entry, locked records, manifest dependency names) for `list`,
    `tree` and `why`: this machine's platform (or -p's), after the lock policy."""
    from minipixi.app.inspect import locked_environment  # lazy: the solver loads numba

    return locked_environment(project, args.environment, args.platform, mode(args), on_solve=solving)


def cmd_list(args: argparse.Namespace) -> int:
    from minipixi.app.inspect import locked_pypi  # lazy: the solver loads numba

    project = open_project(args)
    env, platform, records, requested = _locked(project, args)
    records = sorted(records, key=lambda r: r.name)
    wheels, asked = locked_pypi(project, env, platform)
    if args.json:
        out(json.dumps([{"name": r.name, "version": r.version, "build": r.build, "size_bytes": r.size,
                         "kind": "conda", "source": r.channel, "is_explicit": r.name in requested}
                        for r in records]
                       + [{"name": p.name, "version": p.version, "build": None, "size_bytes": None,
                           "kind": "pypi", "source": p.location, "is_explicit": p.name in asked}
                          for p in wheels], indent=2))
        return 0
    rows = [(r.name, r.version, r.build, _human_size(r.size), "conda", r.channel or "") for r in records
            if not args.explicit or r.name in requested]
    rows += [(p.name, p.version, "", "", "pypi", p.location.rsplit("/", 1)[-1]) for p in wheels
             if not args.explicit or p.name in asked]
    header = ("Package", "Version", "Build", "Size", "Kind", "Source")
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in [header, *rows]:
        out("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    return 0


def cmd_tree(args: argparse.Namespace) -> int:
    from minipixi.app import inspect  # lazy: the solver loads numba

    project = open_project(args)
    env, platform, records, requested = _locked(project, args)
    if args.format != "text":  # a picture of the whole environment (graph.py draws it)
        inspect.check_picture_options(args.regex, args.invert)
        out(inspect.tree_picture(project, env, platform, records, args.format).rstrip("\n"))
        return 0
    out(inspect.render_tree(records, requested, pattern=args.regex, invert=args.invert,
                            pypi=inspect.environment_pypi(project, env, platform)))
    return 0


def cmd_why(args: argparse.Namespace) -> int:
    from minipixi.app.why import environment_pypi, explain, manifest_specs, render  # lazy: loads the solver (numba)

    project = open_project(args)
    env, platform, records, _ = _locked(project, args)
    answer = explain(records, manifest_specs(project.workspace.resolve(env, platform)), args.package,
                     environment=env, platform=platform, where=str(project.lock_path),
                     pypi=environment_pypi(project, env, platform))
    out(json.dumps(answer.to_json(), indent=2) if args.json else render(answer))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """What changed between two locks (a file or a git revision; by default HEAD's pixi.lock
    and the one on disk), per environment and platform, direct or transitive."""
    from minipixi.app.inspect import lock_changes  # lazy: the solver loads numba
    from minipixi.lock.diff import diff_to_json, render_diff  # lazy: the lock reader loads YAML

    diff = lock_changes(open_project(args), args.old, args.new)
    if args.json:
        out(json.dumps(diff_to_json(diff), indent=2))
    else:
        out(render_diff(diff).rstrip("\n") or "No changes.")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from minipixi.app.inspect import describe_system  # lazy: the solver loads numba

    info = describe_system(getattr(args, "manifest_path", None), offline=args.offline)
    if args.json:
        out(json.dumps(info, indent=2))
        return 0
    for section, items in info.items():
        out(f"{section.title():>12}")
        out("-" * 12)
        for key, value in items.items():
            if isinstance(value, dict):
                out(f"{key:>22}:")
                for k, v in value.items():
                    out(f"{k:>26}: {v}")
            else:
                out(f"{key:>22}: {value}")
        out()
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from minipixi.app.inspect import clean_cache, clean_environments  # lazy: the solver loads numba

    if args.what == "cache":
        removed = clean_cache()
        status(f"✔ Removed the cache at {removed}" if removed else "✔ The cache is already empty")
        return 0
    project = open_project(args)
    for path in clean_environments(project, args.environment):
        status(f"✔ Removed {path}")
    return 0


def register_inspect_commands(sub: argparse._SubParsersAction) -> None:
    env_help = "the environment (default: default)"
    for name, handler, text in (("list", cmd_list, "list the packages of an environment"),
                                ("tree", cmd_tree, "show the dependency tree of an environment")):
        p = sub.add_parser(name, help=text)
        p.add_argument("-e", "--environment", help=env_help)
        p.add_argument("-p", "--platform", help="the platform (default: this machine's)")
        p.add_argument("--frozen", action="store_true", help="read pixi.lock as it is, never update it")
        lock_options(p, policy=False)
        if name == "list":
            p.add_argument("--json", action="store_true", help="machine-readable output")
            p.add_argument("-x", "--explicit", action="store_true", help="only the packages the manifest asks for")
        else:
            p.add_argument("regex", nargs="?", help="show only the packages matching this regex")
            p.add_argument("-i", "--invert", action="store_true", help="show what depends on the matches")
            p.add_argument("--format", choices=["text", "dot", "mermaid", "svg"], default="text",
                           help="text (default), or a picture of the graph: Graphviz dot, Mermaid, SVG")
        p.set_defaults(handler=handler)

    diff = sub.add_parser("diff", help="what changed between two locks, per environment and platform")
    diff.add_argument("old", nargs="?", default="HEAD", metavar="OLD",
                      help="an older pixi.lock: a file, or a git revision (default: HEAD)")
    diff.add_argument("new", nargs="?", metavar="NEW", help="a newer one (default: the pixi.lock on disk)")
    diff.add_argument("--json", action="store_true", help="machine-readable output")
    add_workspace_options(diff)
    diff.set_defaults(handler=cmd_diff)
    why = sub.add_parser("why", help="every path from the manifest to a package of an environment")
    why.add_argument("package", metavar="PACKAGE", help="a package name: conda, PyPI, or virtual (e.g. __cuda)")
    why.add_argument("-e", "--environment", help=env_help)
    why.add_argument("-p", "--platform", help="the platform (default: this machine's)")
    why.add_argument("--frozen", action="store_true", help="read pixi.lock as it is, never update it")
    why.add_argument("--json", action="store_true", help="machine-readable output")
    lock_options(why, policy=False)
    why.set_defaults(handler=cmd_why)

    info = sub.add_parser("info", help="this machine, the cache, the workspace and its environments")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    lock_options(info, policy=False)
    info.set_defaults(handler=cmd_info)

    clean = sub.add_parser("clean", help="remove the environments (or, with `clean cache`, the package cache)")
    clean.add_argument("what", nargs="?", choices=["cache"], help="`cache` removes minipixi's cache folder")
    clean.add_argument("-e", "--environment", help="remove only this environment")
    lock_options(clean, policy=False)
    clean.set_defaults(handler=cmd_clean)
