"""The reference server: a correct, SQLite-backed implementation of both APIs, with switchable faults.

`ReferenceServer` runs it on a loopback port (in a background thread); `FAULTS` lists the defects it
can be started with, each breaking one catalog requirement; `apiconform serve` is the command line.
"""

from apiconform.server.faults import FAULTS, Fault, UnknownFaultError
from apiconform.server.runner import ReferenceServer

__all__ = ["FAULTS", "Fault", "ReferenceServer", "UnknownFaultError"]
