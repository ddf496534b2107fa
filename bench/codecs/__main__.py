"""`python -m bench.codecs`."""

from bench.codecs.cli import main

raise SystemExit(main())
