# Written by hand (core's other model changes are in flight): failed sign-ins counted in the
# database, so a lockout survives a Redis outage or restart.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0016_role_groups_company_profile'),
    ]

    operations = [
        migrations.CreateModel(
            name='SignInFailure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('username_digest', models.CharField(max_length=64, verbose_name='username (hashed)')),
                ('address', models.CharField(blank=True, max_length=64, verbose_name='address')),
                ('occurred_at', models.DateTimeField(db_index=True, verbose_name='occurred at')),
            ],
            options={
                'verbose_name': 'failed sign-in',
                'verbose_name_plural': 'failed sign-ins',
                'indexes': [models.Index(fields=['username_digest', 'address', 'occurred_at'], name='sign_in_failure_pair'), models.Index(fields=['username_digest', 'occurred_at'], name='sign_in_failure_user')],
            },
        ),
    ]
