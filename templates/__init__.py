"""Overridable Jinja templates, installed as ``dividebuy_checkout.templates``.

A shop overrides any of them by putting a file of the same name under its own
``templates/dividebuy/`` folder: Flask searches the application's templates first.
"""
