"""The Python client installed with pip from clients/python (its pyproject.toml), as a user would.

pip builds the package with setuptools and wheel without build isolation and without an index, so
the install itself needs nothing from the network; the two build tools are put into the temp venv
first from the machine's configured package index (skipped, saying so, when that is not possible).

Run from the repository root:  python3 -m unittest discover -s clients/python/tests -v
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent  # clients/python
SHIPPED = ["pyproject.toml", "agentmon.py", "README.md", "LICENSE"]


def run(args, cwd: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)


class PipInstallTests(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="agentmon-py-pip-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_pip_installs_the_client_from_its_pyproject(self) -> None:
        # A copy, so the build's egg-info and build/ land in the temp dir, not in the repository.
        source = os.path.join(self.tmp, "src")
        os.mkdir(source)
        for name in SHIPPED:
            shutil.copy(PROJECT / name, source)
        venv = os.path.join(self.tmp, "venv")
        made = run([sys.executable, "-m", "venv", venv], self.tmp)
        if made.returncode != 0:
            self.skipTest("cannot make a venv here: " + made.stderr[-300:])
        python = os.path.join(venv, "bin", "python")
        tools = run([python, "-m", "pip", "install", "--quiet", "setuptools>=61", "wheel"], self.tmp)
        if tools.returncode != 0:
            self.skipTest("setuptools and wheel cannot be installed offline here: " + tools.stderr[-300:])

        installed = run([python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", source], self.tmp)
        self.assertEqual(installed.returncode, 0, installed.stdout + installed.stderr)

        # From elsewhere, the venv's python imports the installed copy.
        probe = run([python, "-c", "import json, agentmon; print(json.dumps({'file': agentmon.__file__, 'version': agentmon.__version__, 'iso': agentmon.utc_iso(0)}))"], self.tmp)
        self.assertEqual(probe.returncode, 0, probe.stderr)
        found = json.loads(probe.stdout)
        self.assertTrue(found["file"].startswith(os.path.join(venv, "lib")), found["file"])
        self.assertEqual(found["iso"], "1970-01-01T00:00:00.000Z")

        shown = run([python, "-m", "pip", "show", "--files", "agentmon-client"], self.tmp)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        fields = dict(line.split(": ", 1) for line in shown.stdout.splitlines() if ": " in line)
        self.assertEqual(fields.get("Name"), "agentmon-client")
        self.assertEqual(fields.get("Version"), found["version"])
        self.assertEqual(fields.get("License"), "MIT")
        files = [line.strip() for line in shown.stdout.split("Files:", 1)[1].splitlines() if line.strip()]
        self.assertIn("agentmon.py", files)
        self.assertEqual([f for f in files if "test" in f], [], "no tests are installed")


if __name__ == "__main__":
    unittest.main()
