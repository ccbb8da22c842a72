from django.apps import AppConfig


class OpsportalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opsportal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from opsportal import signals  # noqa: F401  (post_migrate role sync, worker heartbeat)
