"""`python -m bench.proxy`."""

from bench.proxy.cli import main

raise SystemExit(main())
