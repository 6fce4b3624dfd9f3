"""Servers started as real processes by a test: each in its own process group, logged to a file, always stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Proc:
    name: str
    argv: list[str]
    log: Path
    popen: subprocess.Popen = field(repr=False)

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name}: {' '.join(self.argv)}\n" + "\n".join(text.splitlines()[-lines:])


class Processes:
    """Start processes; on exit, SIGTERM every group, then SIGKILL what is left (uvicorn workers, code servers)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[Proc] = []

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> Proc:
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        proc = Proc(name, argv, log, popen)
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(p.tail() for p in self.procs)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.popen.poll() is None:
                os.killpg(proc.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.procs:
            with suppress(subprocess.TimeoutExpired):
                proc.popen.wait(max(0.1, deadline - time.monotonic()))
            with suppress(ProcessLookupError):
                os.killpg(proc.popen.pid, signal.SIGKILL)  # leftovers of the group (workers, subprocesses)
            proc.popen.wait(5)


@contextmanager
def processes(log_dir: Path) -> Iterator[Processes]:
    group = Processes(log_dir)
    try:
        yield group
    finally:
        group.stop()


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(what: str, ready: Callable[[], bool], procs: Processes, watched: list[Proc], timeout: float) -> float:
    """Poll `ready` until true; fail early, with the logs, if a watched process exits or time runs out."""
    start = time.monotonic()
    while not ready():
        dead = [p for p in watched if p.popen.poll() is not None]
        if dead or time.monotonic() - start > timeout:
            cause = f"{dead[0].name} exited with {dead[0].popen.returncode}" if dead else f"not within {timeout:.0f} s"
            raise AssertionError(f"{what}: {cause}\n{procs.logs()}")
        time.sleep(0.25)
    return time.monotonic() - start


def command_succeeds(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 30) -> bool:
    try:
        return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, timeout=timeout).returncode == 0
    except subprocess.TimeoutExpired:
        return False
