from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invoicing.services.ledger_chain import SERIES, last_document, posted, seal_unchained, verify

LABELS = {
    "invoice": gettext_lazy("Invoice series"),
    "credit-note": gettext_lazy("Credit note series"),
}


class Command(BaseCommand):
    help = (
        "Recompute the hash chain of posted invoices and credit notes (each series its own "
        "chain) and name the first document that was altered, deleted or not chained. Exits 1 "
        "when a chain is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("--series", choices=SERIES, help="Only this series.")
        parser.add_argument(
            "--seal-unchained",
            action="store_true",
            dest="seal",
            help="First chain the documents posted before the chain existed (run once after the "
            "upgrade; a series that is already chained is left alone).",
        )

    def handle(self, *args, series, seal, **options):
        names = [series] if series else list(SERIES)
        if seal:
            for name in names:
                self.stdout.write(
                    _("%(series)s: %(count)d documents sealed.")
                    % {"series": LABELS[name], "count": seal_unchained(name)}
                )
        findings = {finding.series: finding for finding in verify(series)}
        for name in names:
            finding = findings.get(name)
            if finding is not None:
                self.stdout.write(self.style.ERROR(f"{LABELS[name]}: {finding}"))
                continue
            last = last_document(name)
            self.stdout.write(
                self.style.SUCCESS(
                    _("%(series)s: %(count)d documents, chain intact.")
                    % {"series": LABELS[name], "count": posted(name).count()}
                )
            )
            if last is not None:
                self.stdout.write(
                    _("  last %(number)s, hash %(hash)s")
                    % {"number": last.number, "hash": last.chain_hash}
                )
        if findings:
            raise CommandError(
                _("The ledger chain is broken at %(numbers)s.")
                % {"numbers": ", ".join(f.number for f in findings.values())}
            )
