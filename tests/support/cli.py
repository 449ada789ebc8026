"""``python -m tests.support.cli ...``: the real CLI with the test plugins registered."""

import tests.support.plugins  # noqa: F401
from simengine.cli import main

if __name__ == "__main__":
    main()
