from django.apps import AppConfig


class OrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orders"

    def ready(self) -> None:
        # Task and renderer modules other than tasks.py: the worker must know them by name.
        # Order fulfilment (fulfilment_tasks, receivers): backorders filled when stock
        # arrives, the at-risk sweep.
        from inventory.signals import stock_moved
        from orders import (  # noqa: F401
            email_tasks,
            fulfilment_tasks,
            label_tasks,
            labels,
            receivers,
        )

        stock_moved.connect(receivers.on_stock_moved, dispatch_uid="orders.backorders")
