"""`python -m attribtui.cli`: the same as the `attribtui` command."""

import sys

from attribtui.cli.main import main

sys.exit(main())
