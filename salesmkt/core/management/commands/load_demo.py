"""Create the demo company: users for every role, then each area's demo data in dependency order.

Safe to run again: nothing is duplicated.
"""

from importlib import import_module

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

# Areas' demo modules, downhill first (crm, inventory <- agreements <- orders <- invoicing).
DEMO_MODULES = [
    "salesmkt.finance.demo",
    "crm.demo",
    "inventory.demo",
    "crm.demo_marketing",
    "agreements.demo",
    "orders.demo",
    "orders.demo_supply",
    "invoicing.demo",
]

DEMO_PASSWORD = "demo"
DEMO_USERS = [
    # username, group, staff
    ("clerk", "sales clerk", False),
    ("manager", "sales manager", True),
    ("marketing", "marketing", False),
    ("accountant", "accountant", False),
    ("integrator", "integrator", False),
]


class Command(BaseCommand):
    help = "Load the demo company (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        User = get_user_model()
        # Demo documents are rendered, but their mails stay in memory instead of reaching the
        # (made-up) customers' addresses or flooding the console. They are rendered here, not
        # on a thread that would outlive the command's settings (and be cut off at its exit).
        mail_in_memory = override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            DOCUMENT_RENDER_IN_REQUEST=True,
        )
        with mail_in_memory, transaction.atomic():
            admin, created = User.objects.get_or_create(
                username="demo",
                defaults={"is_staff": True, "is_superuser": True, "first_name": "Demo"},
            )
            if created:
                admin.set_password(DEMO_PASSWORD)
                admin.save()
            for username, group, staff in DEMO_USERS:
                user, created = User.objects.get_or_create(
                    username=username, defaults={"is_staff": staff}
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                    user.save()
                user.groups.add(Group.objects.get(name=group))
            for module in DEMO_MODULES:
                import_module(module).load(actor=admin)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(
            f"Demo login: demo / {DEMO_PASSWORD} (administrator). Role logins with the same "
            f"password: {', '.join(u for u, _, _ in DEMO_USERS)}."
        )
