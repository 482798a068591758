"""The web app (``steward serve``): server-rendered pages for the DPO, LA data teams and
researchers, and a JSON API under ``/api``. Every route declares the permission it needs."""

from steward.web.app import create_app

__all__ = ["create_app"]
