from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('identities', '0013_membership_expiry_and_source'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='contact_email',
            field=models.EmailField(blank=True, default='', help_text='Where notices (of access requests) are sent. Never used to sign in or to identify anyone.', max_length=254, verbose_name='contact address'),
        ),
    ]
