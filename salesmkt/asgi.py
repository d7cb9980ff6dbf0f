import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesmkt.settings")
application = get_asgi_application()

# No system checks run under an ASGI server either: refuse the development key here as in wsgi.py.
from salesmkt.core.checks import refuse_development_secret_key  # noqa: E402

refuse_development_secret_key()
