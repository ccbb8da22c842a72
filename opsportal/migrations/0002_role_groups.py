"""Create the role groups of DESIGN.md with their permissions (opsportal.roles.ROLE_PERMISSIONS)."""

from django.db import migrations


def create_role_groups(apps, schema_editor):
    from opsportal.roles import sync_role_groups

    sync_role_groups(apps)


def remove_role_groups(apps, schema_editor):
    from opsportal.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("opsportal", "0001_initial"),
        ("inventory", "0002_initial"),
        ("vendors", "0001_initial"),
        ("orders", "0001_initial"),
        ("quality", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
