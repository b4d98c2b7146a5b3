"""Checks for exercise 14: a global manifest that recreates `bat` on another machine."""

import subprocess

from hypothesis import given, strategies as st

from minipixi.teaching.checks.global_tools import (
    global_environment_programs, read_global_manifest, update_global_tools,
)
from minipixi.teaching.grade import CheckFailed, check, property_settings

TITLE = "Global tools"
PROPERTY = property_settings()
MANIFEST = "pixi-global.toml"
LESSON_PLATFORMS = ("linux-64", "osx-arm64", "win-64")


def environments(sub) -> dict:
    """The environments of the global manifest; CheckFailed when it has none."""
    envs = read_global_manifest(sub, MANIFEST)
    if not envs:
        raise CheckFailed(f"{MANIFEST} has no environments yet: every global tool lives in a table under envs")
    return envs


@check(points=1)
def check_valid_global_manifest(sub):
    """pixi-global.toml is a global manifest that minipixi can read."""
    read_global_manifest(sub, MANIFEST)


@check(points=1)
def check_bat_exposed(sub):
    """An environment installs bat and exposes a `bat` command."""
    envs = environments(sub)
    with_bat = [env for env in envs.values() if "bat" in {d.name for d in env.dependencies}]
    if not with_bat:
        raise CheckFailed("no environment installs the bat package: look at what your environments depend on")
    if any("bat" in env.exposed for env in with_bat):
        return
    elsewhere = [env.name for env in envs.values() if "bat" in env.exposed]
    if elsewhere:
        raise CheckFailed(f"the bat command comes from environment '{elsewhere[0]}', which does not install bat")
    raise CheckFailed("bat is installed, but no command called 'bat' is exposed: "
                      "which part of an environment decides what lands on your PATH?")


@check(points=2)
def check_exposed_programs_exist(sub):
    """Every exposed command runs a program that its environment's packages really install."""
    exposing = [env for env in environments(sub).values() if env.exposed]
    if not exposing:
        raise CheckFailed("no environment exposes a command, so nothing would land on your PATH")
    for env in exposing:
        programs = global_environment_programs(sub, env)
        for command, program in env.exposed.items():
            if program not in programs:
                raise CheckFailed(f"the command '{command}' of environment '{env.name}' should run '{program}', but "
                                  "no package of that environment installs a program with that name: "
                                  "look in the environment's bin folder for the real name")


@check(points=2)
def check_update_recreates_bat(sub):
    """On a fresh machine, `minipixi global update` with only this file gives a working `bat`."""
    envs = environments(sub)
    home = update_global_tools(sub, MANIFEST)
    missing = [command for env in envs.values() for command in env.exposed if not (home / "bin" / command).is_file()]
    if missing:
        raise CheckFailed(f"after the update there is no {missing[0]} command in the bin folder")
    launcher = home / "bin" / "bat"
    if not launcher.is_file():
        raise CheckFailed("after `minipixi global update` on a fresh machine there is no bat command")
    try:
        run = subprocess.run([str(launcher), "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise CheckFailed(f"the bat command could not be started ({type(err).__name__})") from err
    if run.returncode != 0 or run.stdout.split()[:1] != ["bat"]:
        raise CheckFailed("the bat command starts, but `bat --version` does not answer as bat does: "
                          "which program does that command run?")


@check(points=1, hidden=True)
def check_every_lesson_platform(sub):
    """Copied to a laptop on linux-64, osx-arm64 or win-64, every environment still installs."""
    envs = environments(sub)

    @PROPERTY
    @given(st.sampled_from(LESSON_PLATFORMS))
    def installs_on(platform):
        for env in envs.values():
            try:
                global_environment_programs(sub, env, platform)
            except CheckFailed as failed:
                raise CheckFailed(f"{failed.feedback}; a collaborator on {platform} could not recreate your "
                                  "tools from this file") from failed

    installs_on()
