import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
django_application = get_wsgi_application()

# Order intake, the hot path, is answered ahead of the handler when it can be (see the module).
from orders.api.intake_lane import IntakeLane  # noqa: E402 - needs the apps loaded above

application = IntakeLane(django_application)
