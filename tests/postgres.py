"""A throw-away PostgreSQL cluster in a temporary folder, for the source-database tests and
bench/source.py: Debian's server binaries (`make test` installs the `postgresql` package),
`initdb`, `pg_ctl start` on a free port of 127.0.0.1 with its unix socket in the same folder,
and `stop` + remove at the end. PostgreSQL refuses to run as root: as root the server runs as
the package's `postgres` user (`runuser`), which owns the folder.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

MISSING = (
    "PostgreSQL's server binaries (/usr/lib/postgresql/*/bin/initdb) are not installed:"
    " run `make test`, which installs Debian's `postgresql` package"
)


def server_bin() -> Path | None:
    """The newest installed server's bin folder, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """`with PostgresCluster() as pg:` … `pg.url(database)`; stopped and removed on exit."""

    def __init__(self, prefix: str = "portal-warehouse-pg-"):
        self.bin = server_bin()
        if self.bin is None:
            raise RuntimeError(MISSING)
        # as root, a folder the `postgres` user can reach whatever TMPDIR says
        self.root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp" if os.geteuid() == 0 else None))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.started = False

    def _run(self, *command: str) -> None:
        as_postgres = os.geteuid() == 0
        prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
        result = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, check=False, cwd=self.root
        )
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{log}"
            )

    def start(self) -> PostgresCluster:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        # a throw-away cluster: durability is not what is tested (reads are)
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip
        self.started = True
        return self

    def stop(self) -> None:
        try:
            if self.started:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
                self.started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        """A SQLAlchemy URL (driver psycopg 3) of a database of this cluster, over TCP."""
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", **options):
        """A psycopg connection to a database of this cluster."""
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, **options
        )

    def create_database(self, name: str) -> str:
        with self.connect(autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
