"""Run a command and print its peak resident memory (KiB) on stderr: `python bench/_peak.py CMD...`."""

import resource
import subprocess
import sys

completed = subprocess.run(sys.argv[1:], check=False)
sys.stderr.write(f"\npeak-rss-kib {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\n")
sys.exit(completed.returncode)
