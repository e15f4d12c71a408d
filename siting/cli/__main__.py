"""``python -m siting.cli``: the same as the ``siting`` command."""

import sys

from siting.cli import main

sys.exit(main())
