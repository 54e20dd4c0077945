import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policy_portal.settings")

application = get_asgi_application()

# The same refusal as in wsgi.py: ASGI servers run no system checks either.
from portal.checks import require_collected_static_files  # noqa: E402

require_collected_static_files()
