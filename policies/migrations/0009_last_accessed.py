from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0008_access_expectations"),
    ]

    operations = [
        migrations.CreateModel(
            name="LastAccessed",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("principal_id", models.CharField(editable=False, max_length=32)),
                ("principal_arn", models.CharField(editable=False, max_length=2048)),
                ("service", models.CharField(editable=False, max_length=64)),
                ("action", models.CharField(editable=False, max_length=128)),
                ("resource", models.CharField(editable=False, max_length=512)),
                ("credential", models.CharField(blank=True, editable=False, max_length=80)),
                ("last_allowed_at", models.DateTimeField(editable=False)),
            ],
            options={
                "ordering": ["principal_id", "action", "resource"],
                "indexes": [
                    models.Index(fields=["principal_id", "last_allowed_at"], name="last_accessed_principal_time")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("principal_id", "action", "resource"), name="last_accessed_unique"
                    )
                ],
            },
        ),
    ]
