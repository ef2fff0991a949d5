"""A small example shop that sells on DivideBuy credit, on the embedded sandbox.

    python -m examples.flask_shop            # http://127.0.0.1:5000, sandbox in-process

See ``README.md`` in this folder. :func:`create_app` builds the shop for any
configuration (the tests run it against their own sandbox).
"""

from .app import create_app

__all__ = ["create_app"]
