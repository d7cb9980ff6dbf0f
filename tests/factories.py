from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from crm.models import (
    ContactPerson,
    Customer,
    CustomerGroup,
    Party,
    PartyAddress,
    PriceGroup,
    SalesTaxGroup,
    Vendor,
)
from inventory.models import Item, ItemDiscountGroup, Unit, Warehouse
from salesmkt.finance.models import (
    Currency,
    LedgerAccount,
    PaymentTerms,
    PostingProfile,
    SalesTaxCode,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        for name in extracted or []:
            self.groups.add(Group.objects.get(name=name))
        self.save()


class CurrencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Currency
        django_get_or_create = ("code",)

    code = "NOK"
    name = "Norwegian krone"


class PaymentTermsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentTerms
        django_get_or_create = ("code",)

    code = "N30"
    name = "Net 30 days"
    net_days = 30


class LedgerAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LedgerAccount
        django_get_or_create = ("number",)

    number = "1500"
    name = "Receivables"
    account_type = LedgerAccount.AccountType.ASSET


class PostingProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostingProfile
        django_get_or_create = ("code",)

    code = "DOM"
    name = "Domestic"
    summary_account = factory.SubFactory(LedgerAccountFactory)


class SalesTaxCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesTaxCode
        django_get_or_create = ("code",)

    code = "S25"
    name = "VAT 25 %"
    rate = Decimal("25.00")
    category = SalesTaxCode.Category.STANDARD


class CustomerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerGroup
        django_get_or_create = ("code",)

    code = "RETAIL"
    name = "Retail"


class PriceGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceGroup
        django_get_or_create = ("code",)

    code = "STD"
    name = "Standard"


class SalesTaxGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesTaxGroup
        django_get_or_create = ("code",)

    code = "DOM"
    name = "Domestic"


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    name = factory.Sequence(lambda n: f"Party {n} AS")
    email = factory.LazyAttribute(lambda o: f"{o.name.split()[1]}@example.com")
    language = "nb"


class PartyAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartyAddress

    party = factory.SubFactory(PartyFactory)
    purpose = PartyAddress.Purpose.INVOICE
    street = "Storgata 1"
    postal_code = "0155"
    city = "Oslo"
    country = "NO"


class ContactPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPerson

    party = factory.SubFactory(PartyFactory)
    first_name = "Kari"
    last_name = factory.Sequence(lambda n: f"Nordmann{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    party = factory.SubFactory(PartyFactory)
    account_number = factory.Sequence(lambda n: f"T{n:05d}")
    customer_group = factory.SubFactory(CustomerGroupFactory)
    payment_terms = factory.SubFactory(PaymentTermsFactory)
    credit_limit = Decimal("10000.00")
    currency = factory.SubFactory(CurrencyFactory)
    sales_tax_group = factory.SubFactory(SalesTaxGroupFactory)
    posting_profile = factory.SubFactory(PostingProfileFactory)
    # An invoice address with a country: without one no invoice to it passes EN 16931 (BR-11),
    # and posting refuses it.
    invoice_address = factory.RelatedFactory(
        PartyAddressFactory, party=factory.SelfAttribute("..party")
    )


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    party = factory.SubFactory(PartyFactory)
    account_number = factory.Sequence(lambda n: f"TV{n:05d}")
    currency = factory.SubFactory(CurrencyFactory)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    code = "pcs"
    name = "Piece"
    un_ece_code = "C62"


class ItemDiscountGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ItemDiscountGroup
        django_get_or_create = ("code",)

    code = "DRY"
    name = "Dry goods"


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    item_number = factory.Sequence(lambda n: f"IT{n:05d}")
    name = factory.Sequence(lambda n: f"Item {n}")
    unit = factory.SubFactory(UnitFactory)
    base_sales_price = Decimal("100.0000")
    cost_price = Decimal("60.0000")
    sales_tax_code = factory.SubFactory(SalesTaxCodeFactory)


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = "OSL"
    name = "Oslo"
    # Most tests deliver without receiving stock first; the model's default (refuse) and each
    # policy are proven in tests/inventory/test_stock_policy.py.
    negative_stock_policy = "allow"


# --- relationship flow and campaigns (model given as "app.Model": no new imports above) ------
class NewCustomerTemplateFactory(factory.django.DjangoModelFactory):
    """Account settings for prospects that become customers; not the default unless told."""

    class Meta:
        model = "crm.CustomerTemplate"
        django_get_or_create = ("code",)

    code = "STD"
    name = "Standard customer"
    is_default = False
    customer_group = factory.SubFactory(CustomerGroupFactory)
    payment_terms = factory.SubFactory(PaymentTermsFactory)
    currency = factory.SubFactory(CurrencyFactory)
    sales_tax_group = factory.SubFactory(SalesTaxGroupFactory)
    posting_profile = factory.SubFactory(PostingProfileFactory)
    credit_limit = Decimal("5000.00")


class ProspectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.Prospect"

    party = factory.SubFactory(PartyFactory)
    source = "web"


class LeadFactory(factory.django.DjangoModelFactory):
    """A lead numbered outside the "lead" series (TL...), so series numbers stay untouched."""

    class Meta:
        model = "crm.Lead"

    number = factory.Sequence(lambda n: f"TL{n:06d}")
    party = factory.SubFactory(PartyFactory)
    topic = factory.Sequence(lambda n: f"Lead topic {n}")


class OpportunityFactory(factory.django.DjangoModelFactory):
    """An opportunity numbered outside the "opportunity" series (TOP...)."""

    class Meta:
        model = "crm.Opportunity"

    number = factory.Sequence(lambda n: f"TOP{n:06d}")
    party = factory.SubFactory(PartyFactory)
    topic = factory.Sequence(lambda n: f"Opportunity topic {n}")
    estimated_revenue = Decimal("20000.00")
    probability = Decimal("50.00")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.Activity"

    subject = factory.Sequence(lambda n: f"Follow up {n}")
    party = factory.SubFactory(PartyFactory)
    owner = factory.SubFactory(UserFactory)

    @factory.lazy_attribute
    def due_at(self):
        from django.utils import timezone

        return timezone.now()


class CampaignFactory(factory.django.DjangoModelFactory):
    """A campaign numbered outside the "campaign" series (TCMP...)."""

    class Meta:
        model = "crm.Campaign"

    number = factory.Sequence(lambda n: f"TCMP{n:05d}")
    name = factory.Sequence(lambda n: f"Campaign {n}")
    kind = "email"


class CampaignTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.CampaignTarget"

    campaign = factory.SubFactory(CampaignFactory)
    party = factory.SubFactory(PartyFactory)


class CustomerTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.CustomerTemplate"
        django_get_or_create = ("code",)

    code = "DEFAULT"
    name = "New customers"
    is_default = True
    customer_group = factory.SubFactory(CustomerGroupFactory)
    payment_terms = factory.SubFactory(PaymentTermsFactory)
    currency = factory.SubFactory(CurrencyFactory)
    sales_tax_group = factory.SubFactory(SalesTaxGroupFactory)
    posting_profile = factory.SubFactory(PostingProfileFactory)


SALMON_AND_BRUNOST = (("Smoked salmon", 10), ("Brunost", 15))


def stocked_order(lines=SALMON_AND_BRUNOST, *, on_hand=100):
    """An open sales order of `lines` ((item name, quantity), ...) of new items, each with
    `on_hand` received in one warehouse, shipping in three days."""
    from datetime import timedelta

    from django.utils import timezone

    from inventory.models import InventoryTransaction
    from inventory.services import stock
    from orders.services.orders import sales_order_create

    warehouse = WarehouseFactory()
    rows = []
    for name, quantity in lines:
        item = ItemFactory(name=name)
        stock.record_transaction(
            item=item,
            warehouse=warehouse,
            quantity=Decimal(on_hand),
            status=InventoryTransaction.Status.PURCHASED,
            source="test_receipt",
            source_id=1,
            reference="RECEIPT",
        )
        rows.append({"item": item, "warehouse": warehouse, "quantity": Decimal(quantity)})
    return sales_order_create(
        data={
            "customer": CustomerFactory(),
            "requested_ship_date": timezone.localdate() + timedelta(days=3),
            "lines": rows,
        },
        actor=None,
    )


def delivered_order(lines=SALMON_AND_BRUNOST):
    """A `stocked_order`, confirmed and delivered whole on one packing slip: (order, slip)."""
    from orders.services.delivery import packing_slip_post
    from orders.services.orders import sales_order_confirm

    order = sales_order_confirm(order=stocked_order(lines), actor=None)
    rows = [{"order_line": line, "quantity": line.quantity} for line in order.lines.all()]
    return order, packing_slip_post(order=order, lines=rows, actor=None)
