"""A generated Slurm batch script, run by a real single-node Slurm (Debian slurm-wlm + munge)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from integration_helpers import ensure_debian_packages, minipixi_env
from minipixi.deploy.render import DeployOptions, render_deployment, write_files
from sample_workspaces import EXAMPLE, write_manifest

pytestmark = pytest.mark.integration

SLURM_CONF = """\
ClusterName=minipixi
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
StateSaveLocation={state}/state
SlurmdSpoolDir={state}/spool
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/log/slurmctld.log
SlurmdLogFile={state}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


def _run(*command: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=60, **kw)


def _munge_works() -> bool:
    return shutil.which("munge") is not None and subprocess.run(
        "munge -n | unmunge", shell=True, capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    ensure_debian_packages(["slurm-wlm", "munge"], ["slurmctld", "slurmd", "sbatch", "munged"])
    state = tmp_path_factory.mktemp("slurm")
    for sub in ("state", "spool", "log"):
        (state / sub).mkdir()
    started_munge = False
    if not _munge_works():
        Path("/run/munge").mkdir(parents=True, exist_ok=True)
        shutil.chown("/run/munge", "munge", "munge")
        _run("su", "-s", "/bin/sh", "munge", "-c", "/usr/sbin/munged")
        started_munge = True
        assert _munge_works(), "munged did not start"
    conf = Path("/etc/slurm/slurm.conf")
    backup = conf.read_text() if conf.exists() else None
    memory = int(re.search(r"Mem:\s+(\d+)", _run("free", "-m").stdout).group(1)) - 1024
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(SLURM_CONF.format(state=state, cpus=os.cpu_count(), memory=memory))
    _run("slurmctld")
    _run("slurmd")
    deadline = time.monotonic() + 60
    while "idle" not in _run("sinfo", "-h", "-o", "%T").stdout:
        if time.monotonic() > deadline:
            pytest.fail("Slurm did not become idle: " + (state / "log" / "slurmctld.log").read_text()[-2000:])
        time.sleep(1)
    yield state
    _run("scontrol", "shutdown")
    time.sleep(1)
    if started_munge:
        _run("su", "-s", "/bin/sh", "munge", "-c", "/usr/sbin/munged --stop")
    if backup is None:
        conf.unlink(missing_ok=True)
    else:
        conf.write_text(backup)


@pytest.fixture
def workspace(tmp_path, tmp_path_factory):
    cache = tmp_path_factory.getbasetemp() / "slurm-cache"
    env = minipixi_env(tmp_path, cache)
    path = write_manifest(tmp_path / "ws", EXAMPLE)
    proc = subprocess.run(["minipixi", "install"], cwd=path.parent, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return path.parent, env


def test_batch_script_runs_in_the_environment(slurm, workspace):
    folder, env = workspace
    command = "python -c \"import numpy; print('hello from the environment, numpy', numpy.__version__)\""
    options = DeployOptions(environment="default", tool="minipixi", partition="debug", time="00:05:00",
                            memory="1GB", command=command, name="hello")
    write_files(render_deployment("slurm", options), folder)
    proc = subprocess.run(["sbatch", "--wait", "hello.sbatch"], cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    job = re.search(r"Submitted batch job (\d+)", proc.stdout).group(1)
    output = (folder / f"hello-{job}.out").read_text()
    assert "hello from the environment, numpy 2.3.0" in output, output


def test_gpu_request_is_refused_by_the_scheduler(slurm, workspace):
    folder, env = workspace
    options = DeployOptions(environment="default", tool="minipixi", gpus=1, command="true", name="gpu-job")
    write_files(render_deployment("slurm", options), folder)
    proc = subprocess.run(["sbatch", "gpu-job.sbatch"], cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "Invalid generic resource (gres) specification" in proc.stderr
