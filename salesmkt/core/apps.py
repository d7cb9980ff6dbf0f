from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "salesmkt.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import hygiene

        hygiene.install()
        from . import checks, login_throttle  # noqa: F401  (system checks, sign-in signals)
