"""make bench: run every bench/bench_*.py in its own process, printing its figures."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
failed = False
for script in sorted(HERE.glob("bench_*.py")):
    print(f"== {script.stem}", flush=True)
    failed |= subprocess.run([sys.executable, str(script)], cwd=HERE.parent).returncode != 0
sys.exit(1 if failed else 0)
