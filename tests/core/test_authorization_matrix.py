"""Who may do what: every API operation and every UI page, for each group and for anonymous.

The expected answer comes from two hand-written tables (the model an API resource acts on, and
the operations that need a permission of their own) and the groups' grants in roles.py, never
from the views' permission classes: moving a permission on a view without changing the roles
fails here. Allowed means the gate let the request through (2xx, 3xx, or 400/404/409 for an empty
body or a state that does not fit); refused means exactly 401 (anonymous API), a redirect to the
login page (anonymous UI) or 403. Never a 5xx.
"""

from collections import defaultdict
from decimal import Decimal
from functools import cache

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from salesmkt.core.navigation import MENU
from salesmkt.core.roles import ROLE_GROUPS, permission_codes
from salesmkt.core.ui import RecordDetailView
from tests import factories as f
from tests.core.test_api_conventions import LIST_ENDPOINTS, make_packing_slip, make_sales_order

ANONYMOUS = "anonymous"
ROLES = [*ROLE_GROUPS, ANONYMOUS]

# The model each API resource reads and writes: GET needs its view permission, POST on the
# collection add, PUT/PATCH change, DELETE delete, a POST action on a record change.
RESOURCE_MODELS = {
    "activities": "crm.activity",
    "allocations": "orders.allocationrun",
    "campaign-targets": "crm.campaigntarget",
    "campaigns": "crm.campaign",
    "credit-notes": "invoicing.invoice",
    "currencies": "finance.currency",
    "customer-groups": "crm.customergroup",
    "customer-templates": "crm.customertemplate",
    "company": "finance.companyprofile",
    "customers": "crm.customer",
    "invoice-runs": "invoicing.invoicerun",
    "invoices": "invoicing.invoice",
    "item-discount-groups": "inventory.itemdiscountgroup",
    "items": "inventory.item",
    "leads": "crm.lead",
    "ledger-accounts": "finance.ledgeraccount",
    "opportunities": "crm.opportunity",
    "packing-slips": "orders.packingslip",
    "parties": "crm.party",
    "payment-terms": "finance.paymentterms",
    "payments": "invoicing.payment",
    "posting-profiles": "finance.postingprofile",
    "price-groups": "crm.pricegroup",
    "projects": "orders.project",
    "prospects": "crm.prospect",
    "purchase-orders": "inventory.purchaseorder",
    "quotations": "orders.salesquotation",
    "sales-agreements": "agreements.salesagreement",
    "sales-orders": "orders.salesorder",
    "sales-stages": "crm.salesstage",
    "sales-tax-codes": "finance.salestaxcode",
    "sales-tax-groups": "crm.salestaxgroup",
    "sell-rules": "agreements.sellrule",
    "trade-agreements": "agreements.tradeagreement",
    "units": "inventory.unit",
    "vendors": "crm.vendor",
    "warehouses": "inventory.warehouse",
}

POST_INVOICE = {"invoicing.post_invoice"}
APPROVE = {"orders.approve_documents"}
APPLY_PAYMENT = {"invoicing.add_paymentapplication"}

# Operations that need more than, or other than, the model's plain permission:
# (resource, method, action) -> the permissions, all of them needed.
SPECIAL = {
    ("sales-orders", "POST", "approve"): APPROVE,
    ("sales-orders", "POST", "reject"): APPROVE,
    ("quotations", "POST", "approve"): APPROVE,
    ("quotations", "POST", "reject"): APPROVE,
    ("sales-orders", "POST", "purchase"): {
        "orders.change_salesorder",
        "inventory.add_purchaseorder",
    },
    ("sales-orders", "POST", "return"): {"orders.add_salesorder"},
    ("invoices", "POST", "post"): POST_INVOICE,
    ("invoices", "POST", "cancel"): POST_INVOICE,
    ("invoices", "POST", "correct"): POST_INVOICE,
    ("credit-notes", "POST", "post"): POST_INVOICE,
    ("credit-notes", "POST", "cancel"): POST_INVOICE,
    ("credit-notes", "POST", "correct"): POST_INVOICE,
    ("credit-notes", "POST", "apply"): APPLY_PAYMENT,
    ("credit-notes", "POST", "auto-apply"): APPLY_PAYMENT,
    ("payments", "POST", "apply"): APPLY_PAYMENT,
    ("payments", "POST", "auto-apply"): APPLY_PAYMENT,
    ("allocations", "POST", "run"): {"orders.allocate_stock"},
    ("invoice-runs", "POST", None): {"invoicing.add_invoicerun", *POST_INVOICE},
    ("parties", "POST", "merge"): {"crm.change_party", "crm.delete_party"},
}

# Read-only endpoints that are not a model resource: first path segment -> permissions.
VIEWS = {
    "price-lookup": {"agreements.view_tradeagreement"},
    "sales-suggestions": {"agreements.view_sellrule"},
    "receivables": {"invoicing.view_customertransaction"},
    "backorders": {"orders.view_salesorder"},
}

# Open to everyone, anonymous included (they check credentials themselves).
PUBLIC = {"auth"}

# Open to every signed-in user: what they answer follows the user's own permissions.
SIGNED_IN = {"role-centre"}
SIGNED_IN_ONLY = "signed in"

METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}


@cache
def api_operations() -> dict[str, list[tuple[str, str]]]:
    """(method, path template) of every operation in the OpenAPI schema, by first segment; the
    deletes last so that the record is there for everything else."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = defaultdict(list)
    for path, methods in schema["paths"].items():
        for method in methods:
            if method.upper() in METHOD_ORDER:
                segment = path.removeprefix("/api/v1/").split("/")[0]
                operations[segment].append((method.upper(), path))
    for ops in operations.values():
        ops.sort(key=lambda op: (METHOD_ORDER[op[0]], op[1]))
    return dict(operations)


def required_permissions(method: str, path: str) -> set[str]:
    segments = path.removeprefix("/api/v1/").strip("/").split("/")
    resource, rest = segments[0], segments[1:]
    if resource in PUBLIC:
        return set()
    if resource in SIGNED_IN:
        return {SIGNED_IN_ONLY}
    if resource in VIEWS:
        assert method == "GET", f"{method} {path}: add it to SPECIAL"
        return VIEWS[resource]
    assert resource in RESOURCE_MODELS, f"{path}: add the resource to RESOURCE_MODELS"
    on_record = bool(rest) and rest[0] == "{id}"
    action = (rest[1] if len(rest) > 1 else None) if on_record else (rest[0] if rest else None)
    if (resource, method, action) in SPECIAL:
        return SPECIAL[(resource, method, action)]
    app_label, model = RESOURCE_MODELS[resource].split(".")
    verb = {
        "GET": "view",
        "POST": "change" if on_record else "add",
        "PUT": "change",
        "PATCH": "change",
        "DELETE": "delete",
    }[method]
    return {f"{app_label}.{verb}_{model}"}


def may(role: str, permissions: set[str]) -> bool:
    if not permissions:
        return True
    if role == ANONYMOUS:
        return False
    permissions = permissions - {SIGNED_IN_ONLY}
    granted = permission_codes(role)
    return all(tuple(permission.split(".")) in granted for permission in permissions)


def member_of(role: str):
    """A user of the group; no password hashing, the clients log in without one."""
    user = get_user_model().objects.create(username=f"matrix {role}")
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def api_clients(db):
    clients = {ANONYMOUS: APIClient()}
    for role in ROLE_GROUPS:
        clients[role] = APIClient()
        clients[role].force_authenticate(member_of(role))
    return clients


@pytest.fixture
def ui_clients(db):
    clients = {ANONYMOUS: Client()}
    for role in ROLE_GROUPS:
        clients[role] = Client()
        clients[role].force_login(member_of(role))
    return clients


def path_values(resource: str) -> dict[str, int]:
    values = {"customer": f.CustomerFactory().pk, "item": f.ItemFactory().pk, "line_id": 0}
    if resource in LIST_ENDPOINTS:
        record = LIST_ENDPOINTS[resource]()
        values["id"] = record.pk
        # A document's line endpoints (lines/{line_id}/) are asked about its first line.
        lines = getattr(record, "lines", None)
        line = lines.order_by("pk").first() if lines is not None else None
        values["line_id"] = line.pk if line is not None else 0
    return values


def send(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return getattr(client, method.lower())(url, {}, format="json")


def api_verdict(role: str, allowed: bool, response) -> str | None:
    """What is wrong with the response, or None."""
    status = response.status_code
    if allowed:
        if status >= 500 or status in (401, 403, 405, 429):
            return f"allowed, answered {status}"
        return None
    if role == ANONYMOUS:
        expected, code = 401, "not_authenticated"
    else:
        expected, code = 403, "permission_denied"
    if status != expected or response.json().get("code") != code:
        return f"refused, answered {status} (not {expected} {code})"
    return None


@pytest.mark.parametrize("resource", sorted(api_operations()))
def test_api_answers_each_group_as_its_permissions_say(api_clients, resource):
    values = path_values(resource)
    wrong = []
    for method, template in api_operations()[resource]:
        permissions = required_permissions(method, template)
        url = template.format(**values)
        for role in ROLES:
            try:
                response = send(api_clients[role], method, url)
            except Exception as exc:  # an unhandled error is a 500 to the client
                wrong.append(f"{role}: {method} {template}: raised {exc!r}")
                continue
            problem = api_verdict(role, may(role, permissions), response)
            if problem:
                wrong.append(f"{role}: {method} {template} ({sorted(permissions)}): {problem}")

    assert not wrong, "\n".join(wrong)


# --- UI -----------------------------------------------------------------------------------------


def _patterns(resolver):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern)
        elif isinstance(pattern, URLPattern):
            yield pattern


@cache
def record_resources() -> dict[str, type]:
    """Every RecordViews resource of the UI, by its detail page's URL name."""
    found = {}
    for pattern in _patterns(get_resolver()):
        view_class = getattr(pattern.callback, "view_class", None)
        if view_class is RecordDetailView:
            resource = pattern.callback.view_initkwargs["resource"]
            found[resource.url_name("detail")] = resource
    return found


# The makers of LIST_ENDPOINTS by the model they make.
MAKERS = {}
for _name, _model in RESOURCE_MODELS.items():
    if _name in LIST_ENDPOINTS:
        MAKERS.setdefault(_model, LIST_ENDPOINTS[_name])


def ui_verdict(role: str, allowed: bool, response, url: str) -> str | None:
    status = response.status_code
    to_login = status == 302 and response["Location"].startswith(reverse("login"))
    if role == ANONYMOUS:
        return None if to_login else f"anonymous, answered {status} (not a redirect to login)"
    if allowed:
        return None if status < 400 and not to_login else f"allowed, answered {status}"
    return None if status == 403 else f"refused, answered {status} (not 403)"


def check_pages(clients, pages) -> list[str]:
    wrong = []
    for url, permission in pages:
        for role in ROLES:
            try:
                response = clients[role].get(url)
            except Exception as exc:
                wrong.append(f"{role}: GET {url}: raised {exc!r}")
                continue
            problem = ui_verdict(role, may(role, {permission}), response, url)
            if problem:
                wrong.append(f"{role}: GET {url} ({permission}): {problem}")
    return wrong


def test_every_menu_page_answers_each_group_as_its_permissions_say(ui_clients):
    pages = [
        (reverse(url_name), permission)
        for _, _, entries in MENU
        for _, url_name, permission in entries
    ]

    wrong = check_pages(ui_clients, pages)

    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("detail_url_name", sorted(record_resources()))
def test_record_pages_answer_each_group_as_its_permissions_say(ui_clients, detail_url_name):
    resource = record_resources()[detail_url_name]
    label = resource.model._meta.label_lower
    assert label in MAKERS, f"no maker for {label}: add its API resource to RESOURCE_MODELS"
    record = MAKERS[label]()
    if not isinstance(record, resource.model):
        record = resource.model._default_manager.get(pk=record.pk)
    pages = [
        (reverse(resource.url_name("create")), resource.perm("add")),
        (reverse(resource.url_name("detail"), args=[record.pk]), resource.perm("view")),
        (reverse(resource.url_name("update"), args=[record.pk]), resource.perm("change")),
    ]

    wrong = check_pages(ui_clients, pages)

    assert not wrong, "\n".join(wrong)


# --- The special permissions are separate from the model's change permission --------------------


def user_with(*permissions: str):
    """A user holding exactly these permissions ("app_label.codename")."""
    user = get_user_model().objects.create(username=f"holder {len(permissions)} {permissions[0]}")
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return get_user_model().objects.get(pk=user.pk)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


MODEL_ACTIONS = ("view", "add", "change", "delete")


def all_of(model: str) -> list[str]:
    app_label, name = model.split(".")
    return [f"{app_label}.{verb}_{name}" for verb in MODEL_ACTIONS]


@pytest.mark.django_db
def test_full_rights_on_invoices_do_not_include_posting_them():
    profile = f.PostingProfileFactory()
    profile.revenue_account = f.LedgerAccountFactory(number="3000", account_type="revenue")
    profile.save()
    tax_code = f.SalesTaxCodeFactory()
    tax_code.tax_account = f.LedgerAccountFactory(number="2700", account_type="liability")
    tax_code.save()
    invoice = LIST_ENDPOINTS["invoices"]()
    editor = client_for(user_with(*all_of("invoicing.invoice")))
    poster = client_for(user_with(*all_of("invoicing.invoice"), "invoicing.post_invoice"))

    refused = editor.post(f"/api/v1/invoices/{invoice.pk}/post/", {}, format="json")
    posted = poster.post(f"/api/v1/invoices/{invoice.pk}/post/", {}, format="json")

    assert refused.status_code == 403
    assert posted.status_code == 200, posted.content
    assert posted.json()["status"] == "posted"


@pytest.mark.django_db
def test_full_rights_on_orders_do_not_include_approving_them():
    order = make_sales_order()
    editor = client_for(user_with(*all_of("orders.salesorder")))

    for action in ("approve", "reject"):
        refused = editor.post(f"/api/v1/sales-orders/{order.pk}/{action}/", {}, format="json")
        assert refused.status_code == 403


@pytest.mark.django_db
def test_full_rights_on_payments_do_not_include_applying_them():
    payment = LIST_ENDPOINTS["payments"]()
    holder = client_for(user_with(*all_of("invoicing.payment")))

    for action in ("apply", "auto-apply"):
        refused = holder.post(f"/api/v1/payments/{payment.pk}/{action}/", {}, format="json")
        assert refused.status_code == 403
    assert holder.get(f"/api/v1/payments/{payment.pk}/").status_code == 200


@pytest.mark.django_db
def test_viewing_allocation_runs_does_not_include_running_one():
    line = make_packing_slip().lines.first()
    viewer = client_for(user_with(*all_of("orders.allocationrun")))

    refused = viewer.post(
        "/api/v1/allocations/run/",
        {"item": line.order_line.item_id, "warehouse": line.order_line.warehouse_id},
        format="json",
    )

    assert refused.status_code == 403


@pytest.mark.django_db
def test_changing_order_lines_does_not_include_overriding_their_price(user_in):
    order = make_sales_order()
    line = order.lines.first()
    body = {"lines": [{"id": line.pk, "item": line.item_id, "unit_price": "999.0000"}]}

    clerk = client_for(user_in("sales clerk"))
    refused = clerk.patch(f"/api/v1/sales-orders/{order.pk}/", body, format="json")
    line.refresh_from_db()
    assert refused.status_code == 400
    assert refused.json()["code"] == "price_override_not_allowed"
    assert line.unit_price != Decimal("999")

    manager = client_for(user_in("sales manager"))
    overridden = manager.patch(f"/api/v1/sales-orders/{order.pk}/", body, format="json")
    line.refresh_from_db()
    assert overridden.status_code == 200, overridden.content
    assert line.unit_price == Decimal("999")
