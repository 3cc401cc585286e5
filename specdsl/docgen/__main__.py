"""``python -m specdsl.docgen``: regenerate the generated pages."""

from specdsl.docgen import main

raise SystemExit(main())
