"""Reviews outlive their card: `card` becomes null when the card goes, and `card_ref` keeps its
id (filled from `card` for the reviews already made)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cards", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewlog",
            name="card_ref",
            field=models.BigIntegerField(null=True),
        ),
        migrations.RunSQL("UPDATE cards_reviewlog SET card_ref = card_id", migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="reviewlog",
            name="card_ref",
            field=models.BigIntegerField(),
        ),
        migrations.AlterField(
            model_name="reviewlog",
            name="card",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="reviews", to="cards.card"),
        ),
    ]
