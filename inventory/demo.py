"""Demo items, units and warehouses of a food and beverage wholesaler."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from crm.models import Vendor
from salesmkt.finance.models import SalesTaxCode

from .models import InventoryTransaction, Item, ItemDiscountGroup, Unit, Warehouse
from .services.items import item_create
from .services.stock import ADJUSTMENT, stock_adjust

UNITS = [
    ("pcs", "Piece", "C62"),
    ("kg", "Kilogram", "KGM"),
    ("box", "Box", "XBX"),
    ("l", "Litre", "LTR"),
    ("h", "Hour", "HUR"),
]
DISCOUNT_GROUPS = [
    ("FISH", "Seafood"),
    ("DAIRY", "Dairy"),
    ("DRINKS", "Beverages"),
    ("DRY", "Dry goods"),
    ("SERV", "Services"),
]
WAREHOUSES = [
    ("OSL", "Oslo central warehouse", "Alnabru 10", "0668", "Oslo", "NO", "refuse"),
    ("BGO", "Bergen harbour warehouse", "Dokken 4", "5004", "Bergen", "NO", "warn"),
]
# The counted stock the demo starts from (item number -> on hand per warehouse), enough for the
# demo's deliveries and for confirming, picking and packing its open orders and quotations.
OPENING_STOCK = {
    "1000": {"OSL": "500", "BGO": "60"},
    "1001": {"OSL": "120", "BGO": "40"},
    "1002": {"OSL": "200", "BGO": "50"},
    "2000": {"OSL": "200"},
    "2001": {"OSL": "150", "BGO": "30"},
    "3000": {"OSL": "60", "BGO": "20"},
    "3001": {"OSL": "120", "BGO": "40"},
    "4000": {"OSL": "600", "BGO": "100"},
    "4001": {"OSL": "150"},
}
OPENING_REFERENCE = "OPENING"
OPENING_DAYS_AGO = 365

# number, name, type, unit, price, cost, tax code, discount group, vendor name, lead time
ITEMS = [
    (
        "1000",
        "Smoked salmon, sliced 500 g",
        "product",
        "pcs",
        "189.00",
        "120.00",
        "S15",
        "FISH",
        "Lofoten Sjømat AS",
        5,
    ),
    (
        "1001",
        "Stockfish (tørrfisk), 1 kg",
        "product",
        "kg",
        "329.00",
        "210.00",
        "S15",
        "FISH",
        "Lofoten Sjømat AS",
        10,
    ),
    (
        "1002",
        "Fish soup base, 1 l",
        "product",
        "l",
        "79.50",
        "41.00",
        "S15",
        "FISH",
        "Lofoten Sjømat AS",
        5,
    ),
    (
        "2000",
        "Gouda, aged 48 weeks, 1 kg",
        "product",
        "kg",
        "219.00",
        "140.00",
        "S15",
        "DAIRY",
        "Hollandse Kaas Coöperatie U.A.",
        14,
    ),
    (
        "2001",
        "Brunost (brown cheese) 500 g",
        "product",
        "pcs",
        "99.90",
        "62.00",
        "S15",
        "DAIRY",
        None,
        3,
    ),
    (
        "3000",
        "Pale ale 33 cl, box of 24",
        "product",
        "box",
        "549.00",
        "360.00",
        "S25",
        "DRINKS",
        "Norrlands Bryggeri AB",
        7,
    ),
    (
        "3001",
        "Sparkling water 50 cl, box of 24",
        "product",
        "box",
        "189.00",
        "95.00",
        "S25",
        "DRINKS",
        None,
        4,
    ),
    (
        "4000",
        "Flatbread (flatbrød) 250 g",
        "product",
        "pcs",
        "39.90",
        "18.50",
        "S15",
        "DRY",
        None,
        7,
    ),
    ("4001", "Cloudberry jam 400 g", "product", "pcs", "89.00", "52.00", "S15", "DRY", None, 10),
    (
        "9000",
        "Delivery, refrigerated transport",
        "service",
        "pcs",
        "450.00",
        "300.00",
        "S25",
        "SERV",
        None,
        0,
    ),
    (
        "9001",
        "Menu consulting, per hour",
        "service",
        "h",
        "1250.00",
        "0.00",
        "S25",
        "SERV",
        None,
        0,
    ),
]


def load(actor=None) -> None:
    for code, name, un_ece in UNITS:
        Unit.objects.get_or_create(code=code, defaults={"name": name, "un_ece_code": un_ece})
    for code, name in DISCOUNT_GROUPS:
        ItemDiscountGroup.objects.get_or_create(code=code, defaults={"name": name})
    for code, name, street, postal, city, country, policy in WAREHOUSES:
        Warehouse.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "street": street,
                "postal_code": postal,
                "city": city,
                "country": country,
                "negative_stock_policy": policy,
            },
        )
    for number, name, kind, unit, price, cost, tax, group, vendor, lead_time in ITEMS:
        if Item.objects.filter(item_number=number).exists():
            continue
        item_create(
            data={
                "item_number": number,
                "name": name,
                "item_type": kind,
                "unit": Unit.objects.get(code=unit),
                "base_sales_price": Decimal(price),
                "cost_price": Decimal(cost),
                "sales_tax_code": SalesTaxCode.objects.get(code=tax),
                "discount_group": ItemDiscountGroup.objects.get(code=group),
                "primary_vendor": Vendor.objects.get(party__name=vendor) if vendor else None,
                "purchase_lead_time_days": lead_time,
            },
            actor=actor,
        )
    _opening_stock(actor)


def _opening_stock(actor) -> None:
    on = timezone.localdate() - timedelta(days=OPENING_DAYS_AGO)
    for number, per_warehouse in OPENING_STOCK.items():
        item = Item.objects.get(item_number=number)
        for code, quantity in per_warehouse.items():
            warehouse = Warehouse.objects.get(code=code)
            if InventoryTransaction.objects.filter(
                source=ADJUSTMENT, item=item, warehouse=warehouse, reference=OPENING_REFERENCE
            ).exists():
                continue
            stock_adjust(
                item=item,
                warehouse=warehouse,
                quantity=Decimal(quantity),
                reference=OPENING_REFERENCE,
                actor=actor,
                on=on,
            )
