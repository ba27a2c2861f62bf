"""ASGI entry point, for servers that speak ASGI."""

import os

from django.core.asgi import get_asgi_application

from nexus_server.embedded import prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus_server.settings")
prepare()

application = get_asgi_application()
