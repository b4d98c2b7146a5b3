"""The export area of the command line: ``workspace export`` as conda files, containers and
job scripts.

``conda-environment`` and ``conda-explicit-spec`` come from the manifest or from the lock
(after the lock policy, `app/policy.py`) through `deploy/export.py`; the container and job
formats (dockerfile, apptainer, htcondor, slurm, github-workflow) are rendered from templates by
`deploy/render.py`. Output paths are checked before any work is done.

Read after `commands/inspect.py`; read next `commands/teaching.py`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from minipixi.commands.common import lock_options, mode, open_project, solving, status, whole_number, workspace_subcommands
from minipixi.errors import MinipixiError
from minipixi.files import write_atomic


def _output_file(text: str, what: str = "output file") -> Path:
    """The file a user named for output (an export's path), checked before any work is done:
    it may not be a folder, and its folder must exist (the atomic writer puts its temporary
    file beside it). Raises a MinipixiError naming the path."""
    path = Path(text)
    if path.is_dir():
        raise MinipixiError(f"the {what} '{text}' is a folder", hint=f"name a file, e.g. {path / 'out.txt'}")
    folder = path.parent
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise MinipixiError(f"the {what} '{text}' cannot be written: '{folder}' {problem}",
                            hint="write it into an existing folder")
    return path


def _output_folder(text: str) -> Path:
    """The folder a user named for output files (made later, when missing): an error if it is a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise MinipixiError(f"the output folder '{text}' is not a folder", hint="name a folder, new or existing")
    return path


def cmd_export_conda_environment(args: argparse.Namespace) -> int:
    from minipixi.app.policy import lock_for  # lazy: the solver loads numba
    from minipixi.app.project import host_platform_entry  # lazy: reads TOML (tomlkit)
    from minipixi.deploy import export  # lazy: loads the lock model (dataclasses)
    from minipixi.lock.model import lock_platform_names  # lazy: loads the lock model (dataclasses)

    output = _output_file(args.output) if args.output else None
    project = open_project(args)
    env = args.environment or "default"
    project.workspace.environment(env)
    platform = args.platform or host_platform_entry(project, env)
    if platform not in project.workspace.environment_platforms(env):
        raise MinipixiError(f"environment '{env}' does not have the platform '{platform}'",
                            where=str(project.workspace.path),
                            hint="choose one of: " + ", ".join(project.workspace.environment_platforms(env)))
    if args.from_lock_file:
        lock = lock_for(project, mode(args), on_solve=solving)
        text = export.environment_yml_from_lock(lock, project.workspace, env, lock_platform_names(project.workspace)[platform])
    else:
        text = export.environment_yml_from_manifest(project.workspace, env, platform)
    if output is not None:
        write_atomic(output, text)
        status(f"✔ Exported the {env} environment for {platform} to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_export_explicit_spec(args: argparse.Namespace) -> int:
    from minipixi.app.policy import lock_for  # lazy: the solver loads numba
    from minipixi.deploy import export  # lazy: loads the lock model (dataclasses)

    folder = _output_folder(args.output_dir)
    project = open_project(args)
    lock = lock_for(project, mode(args), on_solve=solving)
    envs = [args.environment] if args.environment else None
    files = export.explicit_spec_files(lock, project.workspace, envs, args.platform or None)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        write_atomic(folder / name, text)
        status(f"✔ Wrote {Path(args.output_dir) / name}")
    return 0


def cmd_export_deploy(args: argparse.Namespace) -> int:
    from minipixi.deploy.render import DeployOptions, default_gpus, render_deployment, write_files  # lazy: dataclasses

    project = open_project(args)
    env = args.environment or "default"
    project.workspace.environment(env)
    declared = _declared_cuda(project, env)
    cuda = args.cuda or declared
    options = DeployOptions(
        environment=env, cuda=cuda, cpus=args.cpus, gpus=default_gpus(args.gpus, declared), memory=args.memory, disk=args.disk,
        time=args.time, partition=args.partition, account=args.account, constraint=args.constraint,
        inputs=tuple(args.input), outputs=tuple(args.output_file), queue=args.queue, command=args.run,
        base_image=args.base_image, tool=args.tool, image=args.image, name=args.name, source=args.source,
        workspace_dir=args.workspace_dir, expose=tuple(args.expose),
        command_line="minipixi " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["workspace"] else "",
        extra={"flavour": args.flavour} if args.kind == "github-workflow" else {},
    )
    out_dir = Path(args.output_dir) if args.output_dir else project.root
    for path in write_files(render_deployment(args.kind, options), out_dir, overwrite=args.force):
        status(f"✔ Wrote {path}")
    return 0


def _declared_cuda(project, env: str) -> str | None:
    """The CUDA version the environment declares for a Linux platform (system requirements or
    a rich platform entry): the default for --cuda, so the image sets CONDA_OVERRIDE_CUDA."""
    ws = project.workspace
    for platform in ws.environment_platforms(env):
        resolved = ws.resolve(env, platform)
        if resolved.subdir.startswith("linux") and resolved.virtual_packages.get("__cuda"):
            return str(resolved.virtual_packages["__cuda"])
    return None


def register_export_commands(sub: argparse._SubParsersAction) -> None:
    workspace = workspace_subcommands(sub)
    export = workspace.add_parser("export", help="export an environment: conda formats, containers, job scripts")
    kinds = export.add_subparsers(dest="export_kind", metavar="FORMAT")
    export.set_defaults(handler=lambda args, p=export: p.print_help() or 0)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("-e", "--environment", help="the environment (default: default)")
        lock_options(p, policy=False)
        p.add_argument("--frozen", action="store_true", help="read pixi.lock as it is, never update it")

    conda_env = kinds.add_parser("conda-environment", help="an environment.yml for conda")
    common(conda_env)
    conda_env.add_argument("-p", "--platform", help="the platform (default: this machine's)")
    conda_env.add_argument("--from-lock-file", action="store_true", help="pin every package to its locked version and build")
    conda_env.add_argument("output", nargs="?", help="write to this file (default: print it)")
    conda_env.set_defaults(handler=cmd_export_conda_environment)

    explicit = kinds.add_parser("conda-explicit-spec", help="@EXPLICIT files: one URL#md5 per locked package")
    common(explicit)
    explicit.add_argument("-p", "--platform", action="append", default=[], help="only this platform (repeatable)")
    explicit.add_argument("output_dir", metavar="DIR", help="folder for {env}_{platform}_conda_spec.txt files")
    explicit.set_defaults(handler=cmd_export_explicit_spec)

    helps = {"dockerfile": "a two-stage Dockerfile installing one locked environment",
             "apptainer": "an Apptainer definition file", "htcondor": "an HTCondor submit file, execute script and helper",
             "slurm": "a Slurm batch script", "github-workflow": "a GitHub Actions workflow that builds the image"}
    for kind, text in helps.items():
        p = kinds.add_parser(kind, help=text + " (minipixi's own addition; pixi has no such export)")
        common(p)
        p.add_argument("--cuda", help="CUDA version for CONDA_OVERRIDE_CUDA and driver requirements (default: the manifest's)")
        p.add_argument("--cpus", type=whole_number(1, 100_000), default=1)
        p.add_argument("--gpus", type=whole_number(0, 100_000), default=None,
                       help="GPUs per job (default: 1 when the environment declares CUDA, else 0)")
        p.add_argument("--memory", default="2GB")
        p.add_argument("--disk", default="2GB")
        p.add_argument("--time", default="01:00:00", help="wall time (Slurm), HH:MM:SS or D-HH:MM:SS")
        p.add_argument("--partition")
        p.add_argument("--account")
        p.add_argument("--constraint")
        p.add_argument("--input", action="append", default=[], help="a file the job needs (repeatable)")
        p.add_argument("--output-file", action="append", default=[], help="a file the job produces (repeatable)")
        p.add_argument("--queue", type=whole_number(1, 1_000_000), default=1, help="number of jobs (HTCondor queue / Slurm array size)")
        p.add_argument("--run", help="the command the job or container runs")
        p.add_argument("--base-image", default="ghcr.io/prefix-dev/pixi:noble")
        p.add_argument("--tool", default="pixi", choices=["pixi", "minipixi"], help="which tool the image uses")
        p.add_argument("--image", help="the container image an HTCondor job runs in")
        p.add_argument("--name", help="job / file name (default: the environment's)")
        p.add_argument("--source", help="a folder to copy into the image as /app/src")
        p.add_argument("--workspace-dir", default=".", help="where pixi.toml is, relative to the repository root")
        p.add_argument("--expose", type=whole_number(1, 65535), action="append", default=[], help="a port to expose (Dockerfile)")
        p.add_argument("--flavour", default="docker", choices=["docker", "apptainer"], help="github-workflow: which image")
        p.add_argument("-o", "--output-dir", help="where to write (default: the workspace folder)")
        p.add_argument("--force", action="store_true", help="overwrite existing files")
        p.set_defaults(handler=cmd_export_deploy, kind=kind)
