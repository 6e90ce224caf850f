from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("chat", "0002_conversation_personality_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="rejected_texts",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
