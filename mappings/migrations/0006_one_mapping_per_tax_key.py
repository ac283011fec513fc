"""One tax mapping per key and shop (in its own migration: PostgreSQL alters the table after the
rows were filled, outside that data migration's transaction)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("mappings", "0005_tax_keys")]

    operations = [
        migrations.AddConstraint(
            model_name="taxmapping",
            constraint=models.UniqueConstraint(fields=("shop", "key_digest"), name="one_mapping_per_tax_key"),
        ),
    ]
