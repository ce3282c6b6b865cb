
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def load(apps, schema_editor):
    # The catalogue's new service, iamconsole (iamconsole:ApproveAccessRequest and its keys),
    # on a database made before it.
    from policies.builtins import load_builtins

    load_builtins(apps)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('identities', '0012_role_last_used'),
        ('policies', '0010_preview_jobs'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AccessRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requested_as', models.CharField(help_text='The principal ARN that asked.', max_length=2048)),
                ('kind', models.CharField(choices=[('group', 'membership in a group'), ('role', 'an assignment of a role'), ('permission', 'actions on resources')], max_length=16)),
                ('actions', models.JSONField(blank=True, default=list)),
                ('resources', models.JSONField(blank=True, default=list)),
                ('context', models.JSONField(blank=True, default=dict, help_text='Condition key values the policies need.')),
                ('justification', models.TextField(max_length=2000)),
                ('duration', models.PositiveIntegerField(blank=True, help_text='Seconds; empty for until revoked.', null=True)),
                ('state', models.CharField(choices=[('pending', 'Pending'), ('approved', 'Approved'), ('denied', 'Denied'), ('cancelled', 'Cancelled'), ('expired', 'Expired'), ('revoked', 'Revoked'), ('ended', 'Ended')], default='pending', max_length=16)),
                ('reason', models.CharField(blank=True, help_text='Why it was denied, revoked or ended.', max_length=1000)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('decide_by', models.DateTimeField(help_text='An undecided request expires then.')),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('decided_by_arn', models.CharField(blank=True, max_length=2048)),
                ('expires_at', models.DateTimeField(blank=True, help_text='When the grant ends; empty for never.', null=True)),
                ('ended_at', models.DateTimeField(blank=True, null=True)),
                ('expiry_notice_sent_at', models.DateTimeField(blank=True, null=True)),
                ('granted_assignment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='identities.roleassignment')),
                ('granted_membership', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='identities.membership')),
                ('granted_policy', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='policies.managedpolicy')),
                ('group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='identities.group')),
                ('requester', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='access_requests', to=settings.AUTH_USER_MODEL)),
                ('role', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='identities.role')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Approval',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('approver_arn', models.CharField(help_text='The principal ARN that approved.', max_length=2048)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('approver', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='approvals', to='access.accessrequest')),
            ],
            options={
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='AccessLimit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('max_duration', models.PositiveIntegerField(blank=True, help_text="Seconds; empty for the account's.", null=True)),
                ('approvals', models.PositiveSmallIntegerField(blank=True, help_text="1 or 2; empty for the account's.", null=True)),
                ('group', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='identities.group')),
                ('role', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='identities.role')),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('group__isnull', False), ('role__isnull', True)), models.Q(('group__isnull', True), ('role__isnull', False)), _connector='OR'), name='access_limit_one_target'), models.CheckConstraint(condition=models.Q(('approvals__isnull', True), ('approvals__in', [1, 2]), _connector='OR'), name='access_limit_approvals')],
            },
        ),
        migrations.AddIndex(
            model_name='accessrequest',
            index=models.Index(fields=['state', 'decide_by'], name='access_request_open'),
        ),
        migrations.AddIndex(
            model_name='accessrequest',
            index=models.Index(fields=['state', 'expires_at'], name='access_request_granted'),
        ),
        migrations.AddConstraint(
            model_name='accessrequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'group'), ('group__isnull', False), ('role__isnull', True)), models.Q(('kind', 'role'), ('role__isnull', False), ('group__isnull', True)), models.Q(('kind', 'permission'), ('group__isnull', True), ('role__isnull', True)), _connector='OR'), name='access_request_target_of_kind'),
        ),
        migrations.AddConstraint(
            model_name='approval',
            constraint=models.UniqueConstraint(fields=('request', 'approver'), name='approval_one_per_person'),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
