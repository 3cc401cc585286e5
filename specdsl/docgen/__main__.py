"""``python -m specdsl.docgen``: regenerate the generated pages."""

from . import main

raise SystemExit(main())
