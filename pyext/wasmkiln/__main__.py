"""python3 -m wasmkiln run|validate|inspect ... (see wasmkiln.cli)."""
import sys

from .cli import main

sys.exit(main())
