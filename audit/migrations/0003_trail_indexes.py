"""Indexes in the trail page's order (newest first, then the later entry of the same moment), for
the whole trail, one person's entries and one kind of event. The new index for the whole trail is
built before the old one, which lacked the tie-break, is dropped."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_delegation_moved_from_posts'),
        ('audit', '0002_append_only_triggers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['school', '-created_at', '-id'], name='audit_school_time'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['school', 'actor', '-created_at', '-id'], name='audit_school_actor_time'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['school', 'action', '-created_at', '-id'], name='audit_school_action_time'),
        ),
        migrations.RemoveIndex(
            model_name='auditevent',
            name='audit_audit_school__0b2696_idx',
        ),
    ]
