"""``python -m bench``: every benchmark and a summary (see ``bench.run_all``)."""

import sys

from bench.run_all import main

sys.exit(main())
