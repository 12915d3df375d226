"""``python -m seedlib`` runs ``seedctl``."""

from seedlib.cli import main

main()
