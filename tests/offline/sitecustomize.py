"""Loaded by each Python process started with this folder on PYTHONPATH and
PORTAL_WAREHOUSE_TEST_NO_NETWORK naming a file (tests.conftest.refuse_the_network): the process
cannot reach another machine; each name it looks up or internet socket it connects fails, and
is written to that file."""

import os
import socket

LOG_VARIABLE = "PORTAL_WAREHOUSE_TEST_NO_NETWORK"


def guards(log: str):
    """socket.socket.connect and socket.getaddrinfo as they are in such a process."""
    connect = socket.socket.connect

    def refused(what: str, target: object) -> OSError:
        with open(log, "a", encoding="utf-8") as attempts:
            attempts.write(f"process {os.getpid()}: {what} {target!r}\n")
        return OSError(f"no network in this test ({what} {target!r})")

    def guarded_connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise refused("connect", address)
        return connect(self, address)  # a unix socket stays on this machine

    def guarded_getaddrinfo(host, *args, **kwargs):
        raise refused("getaddrinfo", host)

    return guarded_connect, guarded_getaddrinfo


if os.environ.get(LOG_VARIABLE):
    socket.socket.connect, socket.getaddrinfo = guards(os.environ[LOG_VARIABLE])
