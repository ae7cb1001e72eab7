"""make bench: every benchmark under bench/, printing figures."""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

for script in sorted(HERE.glob("bench_*.py")):
    print(f"== {script.stem}", flush=True)
    runpy.run_path(str(script), run_name="__main__")
