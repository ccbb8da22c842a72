from django.apps import AppConfig


class VendorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "vendors"

    def ready(self) -> None:
        from vendors import documents, rating  # noqa: F401 (documents registers its renderer)

        rating.connect_cache_invalidation()
        self._register_inbound_source()

    @staticmethod
    def _register_inbound_source() -> None:
        # Replenishment suggestions count open purchase order quantities as inbound stock.
        from inventory import selectors as inventory_selectors

        register = getattr(inventory_selectors, "register_inbound_source", None)
        if register is not None:
            from vendors.services import open_po_quantities

            register(open_po_quantities)
