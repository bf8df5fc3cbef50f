"""Running a server process for as long as a `with` block: started, awaited until it answers, stopped."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(cmd: list[str], url: str, env: dict | None = None, log: Path | None = None,
            timeout: float = 300) -> Iterator[subprocess.Popen]:
    """Start `cmd`, wait until `url` answers (raising with the log's tail if it dies or times out), stop it after."""
    sink = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    answer.read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = Path(log).read_text(errors="replace")[-3000:] if log else ""
                    raise RuntimeError(f"{cmd[0]} did not start answering {url}\n{tail}") from None
                time.sleep(0.3)
        yield proc
    finally:
        stop(proc)
        if not isinstance(sink, int):  # our log file, not subprocess.DEVNULL
            sink.close()


def stop(proc: subprocess.Popen, grace: float = 20) -> None:
    """Ask a process to end; kill it if it has not within `grace` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
