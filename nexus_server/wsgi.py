"""WSGI entry point (gunicorn serves `nexus_server.wsgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus_server.settings")

application = get_wsgi_application()
