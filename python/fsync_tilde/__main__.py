from .cli import main  # python -m fsync_tilde: fsync-send

raise SystemExit(main())
