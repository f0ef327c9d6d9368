"""The reference server: a correct, SQLite-backed implementation of every API, with switchable faults and variants.

`ReferenceServer` runs it on a loopback port (in a background thread); `FAULTS` lists the defects it
can be started with, each breaking one catalog requirement; `VARIANTS` the legitimate behaviours it
can switch to, which must break none; `apiconform serve` is the command line.
"""

from apiconform.server.faults import FAULTS, Fault, UnknownFaultError
from apiconform.server.runner import ReferenceServer
from apiconform.server.variants import VARIANTS, IncompatibleVariantError, UnknownVariantError, Variant

__all__ = [
    "FAULTS",
    "VARIANTS",
    "Fault",
    "IncompatibleVariantError",
    "ReferenceServer",
    "UnknownFaultError",
    "UnknownVariantError",
    "Variant",
]
