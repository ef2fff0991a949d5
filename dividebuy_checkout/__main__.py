"""``python -m dividebuy_checkout`` runs the command line (same as ``dividebuy-checkout``)."""

from .cli import main

main()
