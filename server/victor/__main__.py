"""`python -m victor`: the language server on stdio (same as `victor serve`)."""

import sys

from victor.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["serve"]))
