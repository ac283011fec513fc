from django.db import migrations

NAME = "inventory check of all shops"


def add_schedule(apps, _schema_editor):
    # Daily: the quantity check finds differences and changes nothing (mappings/inventory.py).
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={"func": "mappings.tasks.inventory_check_all", "schedule_type": "D", "repeats": -1},
    )


def remove_schedule(apps, _schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("mappings", "0010_inventory"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
