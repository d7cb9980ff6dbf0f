"""Demo customers, vendors and parties (through the services, so they are numbered and audited)."""

from decimal import Decimal

from salesmkt.finance.models import Currency, PaymentTerms, PostingProfile

from .models import CustomerGroup, Party, PriceGroup, SalesTaxGroup
from .services.parties import customer_create, party_create, vendor_create

GROUPS = [
    ("RETAIL", "Retail chains"),
    ("HORECA", "Hotels, restaurants, cafés"),
    ("WHOLESALE", "Wholesalers"),
    ("WEB", "Web shops"),
]
PRICE_GROUPS = [("STD", "Standard prices"), ("KEY", "Key accounts"), ("EXPORT", "Export prices")]
TAX_GROUPS = [("DOM", "Domestic"), ("EU", "EU customers"), ("EXPORT", "Outside the EU")]

# name, email, phone, vat, language, street, postal code, city, country, group, price group,
# tax group, currency, terms, credit limit, contact (first, last, title)
CUSTOMERS = [
    (
        "Fjordkjøkken AS",
        "innkjop@fjordkjokken.no",
        "+47 55 12 34 56",
        "NO923456783MVA",
        "nb",
        "Bryggen 12",
        "5003",
        "Bergen",
        "NO",
        "HORECA",
        "STD",
        "DOM",
        "NOK",
        "N30",
        "250000",
        ("Kari", "Nordmann", "Innkjøpssjef"),
    ),
    (
        "Nordhandel Dagligvare AS",
        "orders@nordhandel.no",
        "+47 22 98 76 54",
        "NO987654325MVA",
        "nb",
        "Storgata 40",
        "0182",
        "Oslo",
        "NO",
        "RETAIL",
        "KEY",
        "DOM",
        "NOK",
        "N30",
        "1500000",
        ("Ola", "Hansen", "Category manager"),
    ),
    (
        "Trondheim Café & Bakeri",
        "post@tdcafe.no",
        "+47 73 55 10 20",
        "NO914345677MVA",
        "nb",
        "Munkegata 5",
        "7011",
        "Trondheim",
        "NO",
        "HORECA",
        "STD",
        "DOM",
        "NOK",
        "N14",
        "80000",
        ("Ingrid", "Berg", "Daglig leder"),
    ),
    (
        "De Molen Groothandel B.V.",
        "inkoop@demolen.nl",
        "+31 20 555 0101",
        "NL853746126B01",
        "nl",
        "Prinsengracht 263",
        "1016 GV",
        "Amsterdam",
        "NL",
        "WHOLESALE",
        "EXPORT",
        "EU",
        "EUR",
        "N60",
        "400000",
        ("Sanne", "de Vries", "Inkoper"),
    ),
    (
        "Utrechtse Webwinkel B.V.",
        "info@webwinkel-utrecht.nl",
        "+31 30 555 0202",
        "NL812345678B01",
        "nl",
        "Oudegracht 150",
        "3511 AZ",
        "Utrecht",
        "NL",
        "WEB",
        "STD",
        "EU",
        "EUR",
        "N30",
        "60000",
        ("Daan", "Jansen", "Eigenaar"),
    ),
    (
        "Göta Livs AB",
        "inkop@gotalivs.se",
        "+46 31 555 0303",
        "SE556677889901",
        "sv",
        "Kungsportsavenyen 10",
        "411 36",
        "Göteborg",
        "SE",
        "RETAIL",
        "KEY",
        "EU",
        "SEK",
        "N30",
        "900000",
        ("Erik", "Lindqvist", "Inköpschef"),
    ),
    (
        "Stockholms Restauranggrossist AB",
        "order@srg.se",
        "+46 8 555 0404",
        "SE559988776601",
        "sv",
        "Drottninggatan 55",
        "111 21",
        "Stockholm",
        "SE",
        "WHOLESALE",
        "EXPORT",
        "EU",
        "SEK",
        "N60",
        "700000",
        ("Anna", "Karlsson", "Försäljningschef"),
    ),
    (
        "Highland Fine Foods Ltd",
        "buying@highlandfoods.co.uk",
        "+44 131 555 0505",
        "GB123456789",
        "en",
        "12 Royal Mile",
        "EH1 1RE",
        "Edinburgh",
        "GB",
        "RETAIL",
        "EXPORT",
        "EXPORT",
        "EUR",
        "N30",
        "200000",
        ("Fiona", "MacLeod", "Head of buying"),
    ),
    (
        "Antwerpse Fijnkost BV",
        "aankoop@antwerpsefijnkost.be",
        "+32 3 555 01 23",
        "BE0456789034",
        "nl",
        "Meir 50",
        "2000",
        "Antwerpen",
        "BE",
        "RETAIL",
        "EXPORT",
        "EU",
        "EUR",
        "N30",
        "150000",
        ("Lotte", "Peeters", "Aankoper"),
    ),
]

# The customers' identifiers on e-invoices: legal registration (scheme, id), electronic address
# (scheme, id) and whether they receive e-invoices over Peppol (EHF in Norway, mandatory for
# Belgian B2B). The numbers pass their registries' check digits; they are made up for the demo.
IDENTIFIERS = {
    "Fjordkjøkken AS": ("0192", "923456783", "0192", "923456783", True),
    "Nordhandel Dagligvare AS": ("0192", "987654325", "0192", "987654325", True),
    "Trondheim Café & Bakeri": ("0192", "914345677", "0192", "914345677", True),
    "De Molen Groothandel B.V.": ("0106", "34125678", "0106", "34125678", True),
    "Utrechtse Webwinkel B.V.": ("0106", "30276543", "0106", "30276543", False),
    "Göta Livs AB": ("0007", "5566778899", "0007", "5566778899", True),
    "Stockholms Restauranggrossist AB": ("0007", "5599887766", "0007", "5599887766", False),
    "Antwerpse Fijnkost BV": ("0208", "0456789034", "0208", "0456789034", True),
}

VENDORS = [
    ("Lofoten Sjømat AS", "salg@lofotensjomat.no", "NO998877660MVA", "nb", "NOK", "N30"),
    (
        "Hollandse Kaas Coöperatie U.A.",
        "sales@hollandsekaas.nl",
        "NL801234566B01",
        "nl",
        "EUR",
        "N30",
    ),
    ("Norrlands Bryggeri AB", "order@norrlandsbryggeri.se", "SE556012345601", "sv", "SEK", "N14"),
]

PROSPECT_PARTIES = [
    (
        "Bergen Hotelldrift AS",
        "post@bergenhotell.no",
        "nb",
        "Strandkaien 2",
        "5013",
        "Bergen",
        "NO",
    ),
    ("Rotterdam Horeca Groep", "info@rhg.nl", "nl", "Coolsingel 40", "3011 AD", "Rotterdam", "NL"),
    (
        "Malmö Delikatess AB",
        "hej@malmodelikatess.se",
        "sv",
        "Stortorget 3",
        "211 22",
        "Malmö",
        "SE",
    ),
]


def _address(street, postal_code, city, country):
    base = {
        "street": street,
        "postal_code": postal_code,
        "city": city,
        "country": country,
        "is_primary": True,
    }
    return [{"purpose": "invoice", **base}, {"purpose": "delivery", **base}]


def _identifiers(name: str) -> dict:
    if name not in IDENTIFIERS:
        return {}
    registration_scheme, registration_id, endpoint_scheme, endpoint_id, peppol = IDENTIFIERS[name]
    return {
        "registration_scheme": registration_scheme,
        "registration_id": registration_id,
        "endpoint_scheme": endpoint_scheme,
        "endpoint_id": endpoint_id,
        "peppol_receiver": peppol,
    }


def load(actor=None) -> None:
    for model, rows in (
        (CustomerGroup, GROUPS),
        (PriceGroup, PRICE_GROUPS),
        (SalesTaxGroup, TAX_GROUPS),
    ):
        for code, name in rows:
            model.objects.get_or_create(code=code, defaults={"name": name})

    for (
        name,
        email,
        phone,
        vat,
        language,
        street,
        postal,
        city,
        country,
        group,
        price_group,
        tax_group,
        currency,
        terms,
        credit,
        contact,
    ) in CUSTOMERS:
        if Party.objects.filter(name=name, customer__isnull=False).exists():
            continue
        customer_create(
            data={
                "party_data": {
                    "name": name,
                    "email": email,
                    "phone": phone,
                    "vat_number": vat,
                    **_identifiers(name),
                    "language": language,
                    "addresses": _address(street, postal, city, country),
                    "contacts": [
                        {
                            "first_name": contact[0],
                            "last_name": contact[1],
                            "job_title": contact[2],
                            "email": email,
                            "is_primary": True,
                        }
                    ],
                },
                "customer_group": CustomerGroup.objects.get(code=group),
                "price_group": PriceGroup.objects.get(code=price_group),
                "sales_tax_group": SalesTaxGroup.objects.get(code=tax_group),
                "currency": Currency.objects.get(code=currency),
                "payment_terms": PaymentTerms.objects.get(code=terms),
                "posting_profile": PostingProfile.objects.get(
                    code="DOM" if country == "NO" else "FOR"
                ),
                "credit_limit": Decimal(credit),
            },
            actor=actor,
        )

    for name, email, vat, language, currency, terms in VENDORS:
        if Party.objects.filter(name=name, vendor__isnull=False).exists():
            continue
        vendor_create(
            data={
                "party_data": {
                    "name": name,
                    "email": email,
                    "vat_number": vat,
                    "language": language,
                },
                "currency": Currency.objects.get(code=currency),
                "payment_terms": PaymentTerms.objects.get(code=terms),
            },
            actor=actor,
        )

    for name, email, language, street, postal, city, country in PROSPECT_PARTIES:
        if Party.objects.filter(name=name).exists():
            continue
        party_create(
            data={
                "name": name,
                "email": email,
                "language": language,
                "addresses": _address(street, postal, city, country),
            },
            actor=actor,
        )
