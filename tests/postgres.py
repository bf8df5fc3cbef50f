"""A real PostgreSQL server for the tests: Debian's binaries, initdb in a temporary folder, 127.0.0.1 only.

initdb refuses to run as root, so as root the cluster belongs to the `postgres` user the Debian package creates."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from assistant.process import free_port, stop


def binaries() -> Path | None:
    """The folder of `initdb` and `postgres` (newest Debian version first), or None when not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]), reverse=True)
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_owner(cmd: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


@contextmanager
def postgres_server(folder: Path):
    """Start a throwaway cluster in `folder`; yields the SQLAlchemy URL of its `postgres` database."""
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL is not installed (make postgres installs Debian's postgresql)")
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        pwd.getpwnam(user)  # KeyError when the package did not create it
    data = folder / "pgdata"
    data.mkdir(parents=True)
    if user:
        shutil.chown(folder, user)
        shutil.chown(data, user)
    subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                              "--encoding=UTF8", "--no-sync"], user), check=True, capture_output=True)
    port = free_port()
    log = open(folder / "postgres.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(_as_owner([str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1",
                                       "-p", str(port), "-k", str(folder), "-c", "fsync=off",
                                       "-c", "max_connections=50"], user), stdout=log, stderr=subprocess.STDOUT)
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    try:
        import psycopg

        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("postgres did not start:\n" +
                                       (folder / "postgres.log").read_text(errors="replace")[-2000:]) from None
                time.sleep(0.2)
        yield url
    finally:
        stop(proc)
        log.close()


def fresh_database(url: str, name: str) -> str:
    """A new, empty database on the server of `url`; its URL."""
    import psycopg

    base = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(base, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name
