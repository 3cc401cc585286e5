from specdsl.cli import main

raise SystemExit(main())
