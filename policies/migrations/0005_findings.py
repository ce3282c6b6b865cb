import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0004_catalogue_origin"),
    ]

    operations = [
        migrations.CreateModel(
            name="FindingAcknowledgement",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("finding_key", models.CharField(editable=False, max_length=2400, unique=True)),
                ("target_arn", models.CharField(blank=True, editable=False, max_length=2048)),
                ("reason", models.CharField(max_length=1000)),
                ("expires_at", models.DateTimeField()),
                ("acknowledged_by_arn", models.CharField(blank=True, editable=False, max_length=2048)),
                (
                    "acknowledged_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
            ],
            options={"ordering": ["finding_key"]},
        ),
    ]
