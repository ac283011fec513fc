from django.db import migrations

SCHEDULES = {
    # The alerts: every five minutes, as often as the sweep.
    "operations watch": {"func": "operations.tasks.watch", "minutes": 5, "kwargs": ""},
    # The worker heartbeat /readyz reads. Its successes are not kept: one a minute would push every
    # other task's result out of django-q2's list (save_limit).
    "worker heartbeat": {"func": "operations.tasks.heartbeat", "minutes": 1, "kwargs": "{'q_options': {'save': False}}"},
}


def add_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, schedule in SCHEDULES.items():
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": schedule["func"],
                "kwargs": schedule["kwargs"],
                "schedule_type": "I",
                "minutes": schedule["minutes"],
                "repeats": -1,
            },
        )


def remove_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=list(SCHEDULES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedules, remove_schedules)]
