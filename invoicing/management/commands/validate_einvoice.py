from argparse import BooleanOptionalAction

from django.core.management.base import BaseCommand, CommandError

from invoicing.einvoice.exports import WRITERS, einvoice_of
from invoicing.einvoice.validation import ValidationResult, ValidatorUnavailable, validate
from invoicing.models import Invoice


class Command(BaseCommand):
    help = (
        "Validate the e-invoice of a posted invoice or credit note against the XSD and the "
        "EN 16931 business rules, as Factur-X CII and as UBL, the UBL also against the Peppol "
        "BIS Billing 3.0 rules (national rules included). Each rule set is reported on its own. "
        "Exits 1 when any of them finds a fatal failure."
    )

    def add_arguments(self, parser):
        parser.add_argument("number", help="The invoice or credit note number, e.g. INV000012.")
        parser.add_argument(
            "--syntax", choices=["cii", "ubl"], action="append", help="Only this syntax."
        )
        parser.add_argument(
            "--peppol",
            action=BooleanOptionalAction,
            default=None,
            help=(
                "Run the Peppol BIS Billing 3.0 rules: by default on the UBL only (a Factur-X "
                "CII is not a Peppol document); --peppol also on the CII, --no-peppol on neither."
            ),
        )

    def handle(self, *args, number, syntax, peppol, **options):
        invoice = (
            Invoice.objects.select_related("customer__party", "currency")
            .filter(number=number, status=Invoice.Status.POSTED)
            .exclude(kind=Invoice.Kind.PRO_FORMA)
            .first()
        )
        if invoice is None:
            raise CommandError(f"No posted invoice or credit note numbered {number!r}.")
        einvoice = einvoice_of(invoice)
        self.stdout.write(
            f"{invoice.get_kind_display()} {invoice.number}, {invoice.customer.party.name}, "
            f"{einvoice.payable} {einvoice.currency}"
        )
        invalid = []
        for name in syntax or ["cii", "ubl"]:
            with_peppol = peppol if peppol is not None else name == "ubl"
            try:
                result = validate(WRITERS[name](einvoice), name, peppol=with_peppol)
            except ValidatorUnavailable as exc:
                raise CommandError(f"The {name.upper()} validator could not run: {exc}") from exc
            self._report(result)
            if result.xsd_errors:
                invalid.append(f"{name.upper()} / XSD")
            invalid += [
                f"{name.upper()} / {rule_set.name}"
                for rule_set in result.rule_sets
                if not rule_set.ok
            ]
        if invalid:
            raise CommandError(
                f"{invoice.number} is not a valid e-invoice in {', '.join(invalid)}."
            )

    def _report(self, result: ValidationResult) -> None:
        syntax = result.syntax.upper()
        self.stdout.write((self.style.SUCCESS if result.ok else self.style.ERROR)(result.headline))
        if result.xsd_errors:
            self.stdout.write(
                self.style.ERROR(f"  {syntax} / XSD: INVALID ({len(result.xsd_errors)} errors)")
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"  {syntax} / XSD: valid"))
        for error in result.xsd_errors:
            self.stdout.write(self.style.ERROR(f"    XSD: {error}"))
        for rule_set in result.rule_sets:
            style = self.style.SUCCESS if rule_set.ok else self.style.ERROR
            self.stdout.write(style(f"  {syntax} / {rule_set.headline}"))
            for message in rule_set.fatal:
                self.stdout.write(self.style.ERROR(f"    fatal: {message}"))
            for message in rule_set.warnings:
                self.stdout.write(self.style.WARNING(f"    warning: {message}"))
