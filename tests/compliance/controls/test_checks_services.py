"""Running the automated checks: results stored per run, mapped controls turned red or green, all audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditEvent
from compliance.controls import check_services, queue, tasks
from compliance.controls.checks import registry
from compliance.controls.checks.registry import check_keys
from compliance.controls.models import CheckResult, Control
from datasets.services import create_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def dpo(make_user):
    return make_user(Role.DPO, username="dpo")


def control(code: str, *checks: str) -> Control:
    return Control.objects.create(code=code, title=f"Control {code}", checks=list(checks))


def test_a_run_stores_one_result_per_check_and_audits_the_run(manager):
    now = timezone.now()

    results = check_services.run_checks(actor=manager, now=now)

    assert sorted(result.check_key for result in results) == check_keys()
    assert len(check_keys()) == 15
    stored = CheckResult.objects.get(check_key="training.staff_current")
    assert (stored.status, stored.ran_at, stored.run_by) == ("no_data", now, manager.get_username())
    event = AuditEvent.objects.get(action="controls.checks_run")
    assert event.actor_label == manager.get_username()
    assert event.data["results"]["training.staff_current"] == "no_data"
    assert set(event.data["results"]) == set(check_keys())


def test_a_run_of_named_checks_stores_only_those_with_their_failing_objects(dpo):
    create_dataset(actor=dpo, name="Orphaned export")

    results = check_services.run_checks(actor=SystemActor("beat"), keys=["datasets.owner_assigned"])

    assert [(result.check_key, result.status, result.run_by) for result in results] == [("datasets.owner_assigned", "fail", "beat")]
    stored = CheckResult.objects.get()
    assert stored.summary == "1 of 1 dataset is without an owner."
    assert stored.failing == [{"label": "Orphaned export", "url": "/datasets/orphaned-export/"}]
    assert stored.failing_total == 1
    assert AuditEvent.objects.get(action="controls.checks_run").data["failing_objects"] == {"datasets.owner_assigned": 1}


def test_an_unknown_check_key_is_refused_naming_it(manager):
    with pytest.raises(ValidationError) as refused:
        check_services.run_checks(actor=manager, keys=["datasets.owner_assigned", "datasets.teleported"])

    message = refused.value.message_dict["keys"][0]
    assert message.startswith("Unknown check: datasets.teleported. Known checks: accounts.privileged_mfa, ")
    assert not CheckResult.objects.exists()


def test_a_check_that_raises_is_stored_as_an_error_and_the_others_still_run(manager, monkeypatch):
    def broken(*, now):
        raise RuntimeError("connector unreachable")

    monkeypatch.setitem(
        registry._REGISTRY, "tests.broken", registry.RegisteredCheck(key="tests.broken", title="Broken", description="", function=broken)
    )

    check_services.run_checks(actor=manager, keys=["tests.broken", "training.staff_current"])

    assert CheckResult.objects.get(check_key="tests.broken").summary == "The check could not run: RuntimeError: connector unreachable"
    assert CheckResult.objects.get(check_key="tests.broken").status == "error"
    assert CheckResult.objects.get(check_key="training.staff_current").status == "no_data"


def test_controls_turn_failing_no_data_or_passing_from_their_checks_latest_results(dpo, make_user):
    steward = make_user(Role.DATA_STEWARD, username="steward")
    orphan = create_dataset(actor=dpo, name="Orphaned export", retention_days=30)
    ownership = control("CTL-OWN", "datasets.owner_assigned")
    retention = control("CTL-RET", "datasets.retention_set")
    mixed = control("CTL-MIX", "datasets.retention_set", "training.staff_current")
    both = control("CTL-BOTH", "datasets.retention_set", "datasets.owner_assigned")
    manual = control("CTL-MAN")
    now = timezone.now()

    check_services.run_checks(actor=SystemActor("beat"), now=now)

    statuses = dict(Control.objects.values_list("code", "automated_status"))
    assert statuses == {"CTL-OWN": "failing", "CTL-RET": "passing", "CTL-MIX": "no_data", "CTL-BOTH": "failing", "CTL-MAN": "not_automated"}
    ownership.refresh_from_db()
    manual.refresh_from_db()
    assert ownership.automated_checked_at == now and manual.automated_checked_at is None
    changes = AuditEvent.objects.filter(action="controls.control_automated_status_changed").order_by("sequence")
    assert {event.target_id: event.data["to"] for event in changes} == {
        str(ownership.pk): "failing",
        str(retention.pk): "passing",
        str(mixed.pk): "no_data",
        str(both.pk): "failing",
    }
    assert AuditEvent.objects.get(action="controls.checks_run").data["controls_changed"] == ["CTL-BOTH", "CTL-MIX", "CTL-OWN", "CTL-RET"]

    # Fixing the dataset and running only its check turns both controls naming it green, audited once each.
    orphan.owner = steward
    orphan.save(update_fields=["owner"])
    check_services.run_checks(actor=SystemActor("beat"), keys=["datasets.owner_assigned"])

    statuses = dict(Control.objects.values_list("code", "automated_status"))
    assert (statuses["CTL-OWN"], statuses["CTL-BOTH"], statuses["CTL-MIX"]) == ("passing", "passing", "no_data")
    assert AuditEvent.objects.filter(action="controls.control_automated_status_changed").count() == 6


def test_a_control_naming_a_check_that_never_ran_has_no_data(dpo):
    create_dataset(actor=dpo, name="Kept", retention_days=30)
    control("CTL-TWO", "datasets.retention_set", "crypto.key_age")

    check_services.run_checks(actor=SystemActor("beat"), keys=["datasets.retention_set"])

    assert Control.objects.get().automated_status == "no_data"


def test_a_manager_queues_a_run_after_commit_audited(manager, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(queue.current_app, "send_task", lambda name, args=None, kwargs=None, **options: sent.append((name, kwargs)))

    with django_capture_on_commit_callbacks(execute=True):
        keys = check_services.request_check_run(actor=manager, keys=["crypto.key_age"])
        assert sent == []  # nothing leaves before commit

    assert keys == ["crypto.key_age"]
    assert sent == [("controls.run_checks", {"user_id": manager.pk, "keys": ["crypto.key_age"]})]
    assert AuditEvent.objects.get(action="controls.checks_requested").data == {"keys": ["crypto.key_age"]}


def test_only_holders_of_run_checks_may_queue_a_run(make_user):
    for role in (Role.DPO, Role.AUDITOR, Role.DATA_STEWARD):
        with pytest.raises(PermissionDenied):
            check_services.request_check_run(actor=make_user(role), keys=None)
    assert not AuditEvent.objects.filter(action="controls.checks_requested").exists()


def test_the_task_runs_as_beat_or_as_the_user_and_drops_a_deactivated_users_run(manager):
    assert tasks.run_checks_task(keys=["training.staff_current"]) == 1
    assert CheckResult.objects.get().run_by == "beat"

    assert tasks.run_checks_task(user_id=manager.pk, keys=["training.staff_current"]) == 1
    assert CheckResult.objects.order_by("-pk").first().run_by == manager.get_username()

    manager.is_active = False
    manager.save(update_fields=["is_active"])
    assert tasks.run_checks_task(user_id=manager.pk) == 0
    assert CheckResult.objects.count() == 2


def test_beat_runs_the_checks_hourly(settings):
    schedule = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == "controls.run_checks"]
    assert schedule == [{"task": "controls.run_checks", "schedule": 3600.0}]
