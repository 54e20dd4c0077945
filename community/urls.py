from django.urls import path

from . import views_audience, views_inbox, views_messages, views_staff_accounts

urlpatterns = [
    # Staff's own accounts (issue 18): the person checks theirs through the networks.
    path("preferences/my-accounts/check/", views_staff_accounts.staff_handles_check, name="staff_handles_check"),
    # The audience (issue 7): followers, blocks, follows.
    path("audience/followers/", views_audience.audience_followers, name="audience_followers"),
    path("audience/followers/check/", views_audience.audience_sync_now, name="audience_sync_now"),
    path("audience/followers/<int:pk>/", views_audience.audience_follower_decide, name="audience_follower_decide"),
    path(
        "audience/followers/<int:pk>/report/", views_audience.audience_follower_report, name="audience_follower_report"
    ),
    path(
        "audience/followers/<int:pk>/remove/", views_audience.audience_follower_remove, name="audience_follower_remove"
    ),
    path("audience/blocked/", views_audience.audience_blocked, name="audience_blocked"),
    path("audience/blocked.csv", views_audience.audience_blocked_csv, name="audience_blocked_csv"),
    path("audience/blocked/<int:pk>/done/", views_audience.audience_block_done, name="audience_block_done"),
    path("audience/blocked/<int:pk>/lift/", views_audience.audience_block_lift, name="audience_block_lift"),
    path("audience/blocked/<int:pk>/report/", views_audience.audience_blocked_report, name="audience_blocked_report"),
    path(
        "audience/blocked/<int:pk>/remove-follower/",
        views_audience.audience_blocked_remove_follower,
        name="audience_blocked_remove_follower",
    ),
    path("audience/following/", views_audience.audience_following, name="audience_following"),
    path("audience/following/propose/", views_audience.audience_follow_propose, name="audience_follow_propose"),
    path("audience/following/<int:pk>/", views_audience.audience_follow_decide, name="audience_follow_decide"),
    path("audience/following/<int:pk>/stop/", views_audience.audience_unfollow, name="audience_unfollow"),
    # Mentions inbox, concerns and incidents (issue 7).
    path("mentions/", views_inbox.inbox_list, name="inbox_list"),
    path("mentions/check/", views_inbox.inbox_fetch, name="inbox_fetch"),
    path("mentions/<int:pk>/ok/", views_inbox.mention_mark_ok, name="mention_mark_ok"),
    path("mentions/<int:pk>/hide/", views_inbox.mention_hide_reply, name="mention_hide_reply"),
    path("mentions/<int:pk>/mute/", views_inbox.mention_mute_author, name="mention_mute_author"),
    path("mentions/<int:pk>/block/", views_inbox.mention_block_author, name="mention_block_author"),
    path("mentions/<int:pk>/reported/", views_inbox.mention_mark_reported, name="mention_mark_reported"),
    path("mentions/<int:pk>/report/", views_inbox.mention_report_author, name="mention_report_author"),
    path("mentions/<int:pk>/limit-replies/", views_inbox.mention_limit_replies, name="mention_limit_replies"),
    path("mentions/<int:pk>/escalate/", views_inbox.mention_escalate, name="mention_escalate"),
    path("concerns/", views_inbox.concern_list, name="concern_list"),
    path("concerns/new/", views_inbox.concern_raise, name="concern_raise"),
    path("concerns/<int:pk>/", views_inbox.concern_detail, name="concern_detail"),
    path("concerns/<int:pk>/incident/", views_inbox.concern_open_incident, name="concern_open_incident"),
    path("concerns/<int:pk>/add-to-incident/", views_inbox.concern_add_to_incident, name="concern_add_to_incident"),
    path("concerns/<int:pk>/resolve/", views_inbox.concern_resolve, name="concern_resolve"),
    path("incidents/", views_inbox.incident_list, name="incident_list"),
    path("incidents/new/", views_inbox.incident_create, name="incident_create"),
    path("incidents/<int:pk>/", views_inbox.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/timeline/", views_inbox.incident_add_entry, name="incident_add_entry"),
    path("incidents/<int:pk>/referral/", views_inbox.incident_refer, name="incident_refer"),
    path("incidents/<int:pk>/severity/", views_inbox.incident_set_severity, name="incident_set_severity"),
    path("incidents/<int:pk>/close/", views_inbox.incident_close, name="incident_close"),
    path("incidents/<int:pk>/reopen/", views_inbox.incident_reopen, name="incident_reopen"),
    # Private messages (issue 18).
    path("messages/", views_messages.message_list, name="message_list"),
    path("messages/new/", views_messages.message_compose, name="message_compose"),
    path("messages/<int:pk>/", views_messages.message_detail, name="message_detail"),
    path("messages/<int:pk>/edit/", views_messages.message_edit, name="message_edit"),
    path("messages/<int:pk>/submit/", views_messages.message_submit, name="message_submit"),
    path("messages/<int:pk>/review/", views_messages.message_review, name="message_review"),
    path("messages/<int:pk>/retry/", views_messages.message_retry, name="message_retry"),
]
