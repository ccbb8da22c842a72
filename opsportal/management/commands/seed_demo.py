"""`manage.py seed_demo`: load the demo data set (idempotent; see opsportal.demo)."""

import time

from django.core.management.base import BaseCommand, CommandError

from opsportal import demo


class Command(BaseCommand):
    help = (
        "Load the demo data set: users, warehouses, products, stock with its ledger, vendors, "
        "carriers, orders, quality records and SOPs. Running it again changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scale", choices=sorted(demo.SCALES), default="small")
        parser.add_argument("--orders", type=int, help="Number of orders (overrides the scale)")
        parser.add_argument("--products", type=int, help="Number of products")
        parser.add_argument("--warehouses", type=int, help=f"2 to {len(demo.WAREHOUSES)}")
        parser.add_argument("--batch-size", type=int, help="Orders per transaction (10,000)")

    def handle(self, *args, **options) -> None:
        try:
            scale = demo.scale_config(
                options["scale"],
                orders=options["orders"],
                products=options["products"],
                warehouses=options["warehouses"],
                batch_size=options["batch_size"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Seeding the {scale.name} demo: {scale.warehouses} warehouses, "
            f"{scale.products:,} products, {scale.orders:,} orders"
        )
        started = time.monotonic()
        report = demo.Seeder(scale, log=self.stdout.write).run()
        total = sum(report.created.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {time.monotonic() - started:.1f} s: {total:,} rows created"
                + ("" if total else " (everything was already there)")
            )
        )
        self.stdout.write(f"\nOpen {demo.URL}\n\nDemo logins (password for all: {demo.PASSWORD})")
        for username, role in demo.LOGINS:
            self.stdout.write(f"  {username:<11} {role}")
