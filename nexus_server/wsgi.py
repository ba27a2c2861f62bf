"""WSGI entry point (gunicorn serves `nexus_server.wsgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application

from nexus_server.embedded import prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus_server.settings")
prepare()

application = get_wsgi_application()
