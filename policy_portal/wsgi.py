import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policy_portal.settings")

application = get_wsgi_application()

# gunicorn runs no system checks: without this, a deployment that never ran collectstatic would
# start and answer every page, the sign-in page first, with a server error.
from portal.checks import require_collected_static_files  # noqa: E402

require_collected_static_files()
