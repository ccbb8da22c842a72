from django.apps import AppConfig


class OrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orders"

    def ready(self) -> None:
        # Task and renderer modules other than tasks.py: the worker must know them by name.
        from orders import email_tasks, label_tasks, labels  # noqa: F401
