from django.dispatch import receiver

from accounts.services_approval import approval_chain_changed
from consent.signals import consent_narrowed

from .consent_changes import react_to_narrowed_consent
from .services import chains


@receiver(consent_narrowed, dispatch_uid="posts.recheck_posts_when_consent_narrows")
def recheck_posts_when_consent_narrows(sender, *, school_id, pupil_ids, reason, **kwargs):
    react_to_narrowed_consent(school_id=school_id, pupil_ids=pupil_ids, reason=reason)


@receiver(approval_chain_changed, dispatch_uid="posts.restart_posts_when_approval_chain_changes")
def restart_posts_when_approval_chain_changes(sender, *, account, actor, **kwargs):
    chains.restart_waiting_posts(account=account, actor=actor)
