from django.urls import reverse

from .views import healthz


class HealthCheckMiddleware:
    """Answers /healthz here, before the middleware below it runs.

    A load balancer asks every few seconds; the rest of the stack would read the session, the
    user and their school for it, and could write the session back. Placed after
    SecurityMiddleware, so the HTTPS redirect and the security headers still apply, and the host
    is still checked against ALLOWED_HOSTS, as CommonMiddleware would.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._path = None

    def __call__(self, request):
        if self._path is None:
            self._path = reverse("healthz")
        if request.path_info != self._path:
            return self.get_response(request)
        request.get_host()
        return healthz(request)
