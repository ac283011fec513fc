from django.db import migrations


def add_schedule(apps, schema_editor):
    # An OAuth state lives 10 minutes: purge the expired ones as often.
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="purge expired OAuth states",
        defaults={
            "func": "accounts.housekeeping.purge_expired_oauth_states",
            "schedule_type": "I",
            "minutes": 10,
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="purge expired OAuth states").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_qbo_connect_browser_and_shared_realm"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
