"""`python -m camrelay` is the `camrelay` command."""

import sys

from camrelay.cli.main import main

sys.exit(main())
