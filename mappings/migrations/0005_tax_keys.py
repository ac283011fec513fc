"""Tax mappings per combination of Shopify tax lines on one order line (a key), not per tax line:
BC's GST 5% + PST 7% needs one QuickBooks code holding both rates. Each existing row (one title and
rate) becomes the key of that one line; the code for it may be created through QuickBooks'
TaxService, so a row can also carry the request proposed and the chosen code's rates."""

import hashlib
import json
from decimal import Decimal

from django.db import migrations, models


def _rate_text(rate: Decimal) -> str:
    # As syncing.ledger.rate_text: Decimal("0.200000") -> "0.2" (migrations import no app code).
    text = format(rate.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".") or "0"


def forwards(apps, schema_editor):  # noqa: ARG001 (RunPython passes both)
    TaxMapping = apps.get_model("mappings", "TaxMapping")
    for row in TaxMapping.objects.all():
        pairs = [[row.title.strip(), _rate_text(row.rate)]]
        canonical = json.dumps(pairs, separators=(",", ":"))
        TaxMapping.objects.filter(pk=row.pk).update(
            pairs=pairs,
            key_digest=hashlib.sha256(canonical.encode()).hexdigest(),
            confirmed=row.confirmed and bool(row.qbo_tax_code_id),
        )


class Migration(migrations.Migration):
    dependencies = [("mappings", "0004_existing_shops_live")]

    operations = [
        migrations.RemoveConstraint(model_name="taxmapping", name="one_mapping_per_tax_line"),
        migrations.AddField(model_name="taxmapping", name="pairs", field=models.JSONField(blank=True, default=list)),
        migrations.AddField(
            model_name="taxmapping",
            name="key_digest",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="taxmapping", name="code_rates", field=models.JSONField(blank=True, default=list)
        ),
        migrations.AddField(
            model_name="taxmapping",
            name="create_spec",
            field=models.JSONField(blank=True, default=dict, help_text="the TaxService request proposed"),
        ),
        migrations.AddField(
            model_name="taxmapping",
            name="created_by_app",
            field=models.BooleanField(default=False, help_text="we created the code in QBO"),
        ),
        migrations.AlterField(
            model_name="taxmapping",
            name="title",
            field=models.CharField(help_text="the key's Shopify tax titles, joined by +", max_length=255),
        ),
        migrations.AlterField(
            model_name="taxmapping",
            name="rate",
            field=models.DecimalField(
                decimal_places=6, help_text="the key's rates together: 0.12 for 12%", max_digits=9
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
