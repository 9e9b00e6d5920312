"""manage.py generate_scale_data: the same seed gives the same rows; states as the events set them; importable CSV."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from compliance.audit.models import AuditEvent
from consent.imports import services as import_services
from consent.management.commands.generate_scale_data import generated_events, purpose_code, subject_external_id
from consent.models import ConsentEvent, ConsentState, DataSubject, Purpose

pytestmark = pytest.mark.django_db


def generate(**options) -> str:
    arguments = {"subjects": 20, "consents": 200, "purposes": 3, "seed": 1, **options}
    flags = [f"--{name}={value}" for name, value in arguments.items()]
    out = StringIO()
    call_command("generate_scale_data", *flags, stdout=out)
    return out.getvalue()


def test_it_records_purposes_subjects_events_and_their_states():
    assert generate().startswith("Generated 20 subjects and 200 consents over 3 purposes in ")
    assert Purpose.objects.filter(code__startswith="scale-purpose-").count() == 3
    assert DataSubject.objects.count() == 20 and ConsentEvent.objects.count() == 200

    newest = {}
    for event in generated_events(seed=1, prefix="scale", subjects=20, purposes=3, count=200):
        key = (subject_external_id("scale", event.subject), purpose_code("scale", event.purpose))
        if key not in newest or (event.occurred_at, event.event_id) >= (newest[key].occurred_at, newest[key].event_id):
            newest[key] = event
    states = {
        (state.subject.external_id, state.purpose.code): (state.status, state.last_event.event_id)
        for state in ConsentState.objects.select_related("subject", "purpose", "last_event")
    }
    assert states == {key: (event.status, event.event_id) for key, event in newest.items()}
    assert AuditEvent.objects.get(action="scale_data.generated").data == {
        "subjects": 20, "consents": 200, "purposes": 3, "seed": 1, "prefix": "scale"
    }


def test_the_same_seed_gives_the_same_rows_and_is_refused_twice():
    generate()
    first = list(ConsentEvent.objects.order_by("event_id").values_list("pk", "event_id", "subject_id", "status"))
    with pytest.raises(CommandError, match="Scale data with prefix 'scale' and seed 1 is already there; choose another --seed."):
        generate()
    generate(seed=2)
    assert ConsentEvent.objects.count() == 400 and DataSubject.objects.count() == 20
    again = [event.uuid for event in generated_events(seed=1, prefix="scale", subjects=20, purposes=3, count=200)]
    assert sorted(again) == sorted(pk for pk, *_ in first)


def test_the_csv_it_writes_is_an_import_file(tmp_path, dpo):
    generate(consents=0)
    target = tmp_path / "consents.csv"
    assert generate(csv=target, seed=7, consents=50).startswith(f"Wrote 50 consents to {target} in ")
    generate(csv=tmp_path / "again.csv", seed=7, consents=50)
    assert target.read_bytes() == (tmp_path / "again.csv").read_bytes()

    job = import_services.create_import(actor=dpo, upload=SimpleUploadedFile("consents.csv", target.read_bytes()))
    import_services.process_import(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_recorded, job.rows_failed, job.subjects_created) == ("completed", 50, 0, 0)


def test_it_refuses_production_and_nonsense(settings):
    with pytest.raises(CommandError, match="--subjects must be at least 1."):
        generate(subjects=0)
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="refuses to run with DJANGO_ENV=production"):
        generate()
    assert not DataSubject.objects.exists()
