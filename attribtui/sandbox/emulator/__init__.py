"""The v2 attribution API emulator: Prosper202's `/api/v2` routes (docs/prosper202.md §V2 API)
on a sandbox database.

A small WSGI app over SQLAlchemy Core, so the demo's model screen, the tests and operators in
training talk HTTP to something that behaves like the real Slim app, traps included.

- app.py: the WSGI app (``Emulator``), routing and authentication;
- http.py: responses, envelopes, Slim's errors, the request payload;
- models.py: the model routes and the v2 model object (``hydrate``);
- reports.py: snapshots, metrics and anomalies; exports.py: the export routes;
- server.py: ``serve()``, ``base_url()``, ``show_keys()``.
"""

from attribtui.prosper.v2models import ModelObject
from attribtui.sandbox.emulator.app import MANAGE, VIEW, Emulator
from attribtui.sandbox.emulator.models import hydrate
from attribtui.sandbox.emulator.server import base_url, serve, show_keys

__all__ = ["MANAGE", "VIEW", "Emulator", "ModelObject", "base_url", "hydrate", "serve",
           "show_keys"]
