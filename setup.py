"""Build hook: the contracts in `specs/` ship inside the package as `apiconform/specs`.

`specs/` stays at the top of the repository, where people edit it. Building a wheel (`pip install .`,
`pip wheel .`, `python -m build`, which goes through the sdist: MANIFEST.in puts `specs/` in it) copies
it into the build tree, so an installed apiconform finds it with importlib.resources from any folder
(`apiconform.contract.specs_dir()`). An editable install copies nothing and reads the working tree's
`specs/`, so edits show at once. All metadata is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SPECS = Path(__file__).resolve().parent / "specs"

# Everything under specs/ ships (specs, catalogs, sources, schemas and DECISIONS.md, which the notes cite)
# except editor and merge leftovers.
_IGNORED = shutil.ignore_patterns(".*", "*~", "*.bak", "*.orig", "*.rej", "*.swp", "__pycache__")


class BuildPyWithSpecs(build_py):
    """`build_py` that also copies `specs/` to `<build_lib>/apiconform/specs` (not in editable mode)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        if not (SPECS / "schemas").is_dir():
            raise SystemExit(f"apiconform build: no specs folder at {SPECS}; the package would not work without it")
        target = Path(self.build_lib) / "apiconform" / "specs"
        # A build folder left by an earlier build must not keep files since removed from specs/.
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(SPECS, target, ignore=_IGNORED)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs: list[str] = list(super().get_outputs(include_bytecode))
        target = Path(self.build_lib) / "apiconform" / "specs"
        if target.is_dir():
            outputs.extend(str(path) for path in sorted(target.rglob("*")) if path.is_file())
        return outputs


setup(cmdclass={"build_py": BuildPyWithSpecs})
