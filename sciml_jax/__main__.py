from sciml_jax.cli import main

raise SystemExit(main())
