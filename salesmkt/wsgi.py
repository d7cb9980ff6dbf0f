import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesmkt.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: without this it would serve production on a key anyone can read.
from salesmkt.core.checks import refuse_development_secret_key  # noqa: E402

refuse_development_secret_key()
