from django.apps import AppConfig


class VendorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "vendors"

    def ready(self) -> None:
        from vendors import rating

        rating.connect_cache_invalidation()
