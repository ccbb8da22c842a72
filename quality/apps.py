from django.apps import AppConfig


class QualityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "quality"

    def ready(self) -> None:
        from quality import manuals, receivers  # noqa: F401 (manuals registers its renderer)

        receivers.connect()
