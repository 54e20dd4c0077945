from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.decorators import school_member_required

from .selectors import dashboard_panels


@require_GET
@school_member_required()
def dashboard(request):
    return render(request, "portal/dashboard.html", dashboard_panels(membership=request.membership))


@require_GET
@never_cache
def healthz(request):
    """For load balancers and compose health checks: the process answers and the database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
