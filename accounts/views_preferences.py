"""Email preferences: how an approver hears about posts waiting for them."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .decorators import school_member_required
from .models import ApprovalEmails
from .permissions import may_review_posts
from .services_preferences import membership_set_approval_emails


class ApprovalEmailsForm(forms.Form):
    approval_emails = forms.ChoiceField(
        label="When a post is waiting for approval",
        choices=ApprovalEmails.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how you would like to hear about posts.",
            "invalid_choice": "Choose one of the options.",
        },
    )


_SAVED = {
    ApprovalEmails.IMMEDIATE: "Saved. You will get an email for each post as it is sent for approval.",
    ApprovalEmails.DIGEST: "Saved. You will get one email each morning at 07:30 when posts are waiting.",
    ApprovalEmails.OFF: "Saved. You will not get emails about posts waiting; check “Posts to approve” yourself.",
}


@require_http_methods(["GET", "POST"])
@school_member_required(may_review_posts)
def email_preferences(request):
    membership = request.membership
    if request.method == "GET":
        form = ApprovalEmailsForm(initial={"approval_emails": membership.approval_emails})
        return render(request, "accounts/email_preferences.html", {"form": form})
    form = ApprovalEmailsForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/email_preferences.html", {"form": form}, status=400)
    choice = form.cleaned_data["approval_emails"]
    membership_set_approval_emails(actor=membership, choice=choice)
    messages.success(request, _SAVED[ApprovalEmails(choice)])
    return redirect("email_preferences")
