"""``python -m bench.housing``: the same as ``python -m bench housing``."""

import sys

from bench.housing.run import main

sys.exit(main(sys.argv[1:]))
