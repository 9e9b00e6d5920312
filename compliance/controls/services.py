"""Every write to controls, assessments and evidence (the automated checks write through check_services).

Each service takes keyword arguments, runs in one transaction and records its
audit event in it. Invalid input raises ``ValidationError`` keyed by form field;
who may call a service is the caller's check (views by model permission).
Audit payloads name objects by code, ref and id, never file contents; an
evidence file's name is not recorded (it may name a person).
"""

import hashlib
import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.audit.services import record_event
from compliance.controls import evidence_files
from compliance.controls.queue import enqueue_score_snapshots
from compliance.controls.models import (
    Assessment,
    AssessmentScope,
    AssessmentStatus,
    Control,
    ControlStatus,
    Evidence,
    Framework,
    Requirement,
    RequirementAssessment,
    RequirementAssessmentChange,
)

JUSTIFICATION_NEEDED = "Not applicable needs a justification: say why the requirement does not apply."
TRACKED_FIELDS = ("status", "justification", "owner", "due_date", "notes")


def _size(size: int) -> str:
    if size >= 1024**2:
        return f"{size / 1024**2:.1f} MiB" if size % 1024**2 else f"{size // 1024**2} MiB"
    return f"{size:,} bytes"


def too_large_message(size: int) -> str:
    """Return what to say about an evidence file of ``size`` bytes past EVIDENCE_MAX_BYTES, naming the limit."""
    return f"The file is {_size(size)}; evidence files may be at most {_size(settings.EVIDENCE_MAX_BYTES)}."


# --- Controls ------------------------------------------------------------------------------


@transaction.atomic
def create_control(
    *, actor, code: str, title: str, description: str = "", owner=None, status: str = ControlStatus.NOT_IMPLEMENTED
) -> Control:
    """Create an organisation control (a manager's own, not shipped); its code must be new."""
    code = code.strip().upper()
    if Control.objects.filter(code=code).exists():
        raise ValidationError({"code": f"A control with code {code} already exists."})
    try:
        with transaction.atomic():
            control = Control.objects.create(
                code=code, title=title.strip(), description=description.strip(), owner=owner, status=status
            )
    except IntegrityError as error:  # a concurrent create of the same code
        raise ValidationError({"code": f"A control with code {code} already exists."}) from error
    record_event(
        actor=actor,
        action="controls.control_created",
        target=control,
        data={"code": control.code, "status": control.status, "owner_id": owner.pk if owner else None},
    )
    return control


@transaction.atomic
def update_control(*, actor, control: Control, title: str, description: str, owner, status: str) -> Control:
    """Change a control's title, description, owner or status (the manager's judgement); audited with what changed."""
    control = Control.objects.select_for_update().get(pk=control.pk)
    new = {"title": title.strip(), "description": description.strip(), "owner_id": owner.pk if owner else None, "status": status}
    changed = {name: [getattr(control, name), value] for name, value in new.items() if getattr(control, name) != value}
    if not changed:
        return control
    for name, value in new.items():
        setattr(control, name, value)
    control.save()
    # Titles and descriptions are organisational text; the audit keeps which fields changed and the status values.
    record_event(
        actor=actor,
        action="controls.control_updated",
        target=control,
        data={
            "code": control.code,
            "fields": sorted(changed),
            **({"status": changed["status"]} if "status" in changed else {}),
            **({"owner_id": changed["owner_id"]} if "owner_id" in changed else {}),
        },
    )
    return control


@transaction.atomic
def map_requirements(*, actor, control: Control, requirements: list[Requirement]) -> int:
    """Map ``control`` to each of ``requirements`` not yet mapped; return how many were added."""
    retired = [requirement.ref for requirement in requirements if requirement.retired_at is not None]
    if retired:
        raise ValidationError({"requirements": f"Retired requirements cannot be mapped: {', '.join(retired)}."})
    present = set(control.requirements.values_list("pk", flat=True))
    added = [requirement for requirement in requirements if requirement.pk not in present]
    if not added:
        return 0
    control.requirements.add(*added)
    record_event(
        actor=actor,
        action="controls.control_mapped",
        target=control,
        data={"code": control.code, "added": [f"{r.framework.code}:{r.ref}" for r in added]},
    )
    return len(added)


@transaction.atomic
def unmap_requirement(*, actor, control: Control, requirement: Requirement) -> bool:
    """Remove the mapping of ``control`` to ``requirement``; return whether there was one."""
    if not control.requirements.filter(pk=requirement.pk).exists():
        return False
    control.requirements.remove(requirement)
    record_event(
        actor=actor,
        action="controls.control_unmapped",
        target=control,
        data={"code": control.code, "removed": f"{requirement.framework.code}:{requirement.ref}"},
    )
    return True


# --- Assessments ---------------------------------------------------------------------------


@transaction.atomic
def create_assessment(
    *,
    actor,
    framework: Framework,
    title: str,
    scope: str,
    dataset=None,
    period_start: date,
    period_end: date,
    owner,
) -> Assessment:
    """Create an assessment of ``framework`` with one not-started row per current assessable requirement."""
    errors = {}
    if scope == AssessmentScope.DATASET and dataset is None:
        errors["dataset"] = "Choose the dataset this assessment covers."
    if scope != AssessmentScope.DATASET and dataset is not None:
        errors["dataset"] = "Only an assessment scoped to one dataset names a dataset; choose that scope or clear the dataset."
    if period_end < period_start:
        errors["period_end"] = f"The period ends ({period_end:%d %B %Y}) before it starts ({period_start:%d %B %Y})."
    if errors:
        raise ValidationError(errors)
    assessment = Assessment.objects.create(
        framework=framework,
        title=title.strip(),
        scope=scope,
        dataset=dataset,
        period_start=period_start,
        period_end=period_end,
        owner=owner,
        created_by=actor,
    )
    requirement_ids = Requirement.objects.filter(
        framework=framework, assessable=True, retired_at__isnull=True
    ).values_list("pk", flat=True)
    rows = RequirementAssessment.objects.bulk_create(
        [RequirementAssessment(assessment=assessment, requirement_id=pk, updated_by=actor) for pk in requirement_ids],
        batch_size=500,
    )
    record_event(
        actor=actor,
        action="controls.assessment_created",
        target=assessment,
        data={
            "framework": framework.code,
            "framework_version": framework.version,
            "scope": scope,
            "dataset_id": dataset.pk if dataset else None,
            "period": [period_start.isoformat(), period_end.isoformat()],
            "owner_id": owner.pk,
            "requirements": len(rows),
        },
    )
    enqueue_score_snapshots(assessment_ids=[assessment.pk])
    return assessment


def _display(name: str, value) -> str:
    if value is None:
        return ""
    if name == "owner":
        return value.get_username()
    if name == "status":
        return str(AssessmentStatus(value).label)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _changes(item: RequirementAssessment, new: dict) -> dict[str, tuple]:
    return {name: (getattr(item, name), value) for name, value in new.items() if getattr(item, name) != value}


def _record_changes(*, actor, item: RequirementAssessment, changes: dict[str, tuple], at) -> list[RequirementAssessmentChange]:
    return [
        RequirementAssessmentChange(
            item=item, changed_by=actor, changed_at=at, field=name, old_value=_display(name, old), new_value=_display(name, value)
        )
        for name, (old, value) in changes.items()
    ]


@transaction.atomic
def update_requirement_assessment(
    *,
    actor,
    item: RequirementAssessment,
    status: str,
    justification: str = "",
    owner=None,
    due_date: date | None = None,
    notes: str = "",
) -> RequirementAssessment:
    """Change one requirement's status, justification, owner, due date or notes; write its history and clear its review flag."""
    # Only the row is locked (PostgreSQL refuses FOR UPDATE on the nullable side of the owner's outer join).
    item = RequirementAssessment.objects.select_for_update(of=("self",)).select_related("requirement").get(pk=item.pk)
    justification = justification.strip()
    if status == AssessmentStatus.NOT_APPLICABLE and not justification:
        raise ValidationError({"justification": JUSTIFICATION_NEEDED})
    changes = _changes(
        item, {"status": status, "justification": justification, "owner": owner, "due_date": due_date, "notes": notes.strip()}
    )
    if not changes and not item.needs_review:
        return item
    now = timezone.now()
    for name, (_, value) in changes.items():
        setattr(item, name, value)
    reviewed = item.needs_review
    item.needs_review = False
    item.updated_by = actor
    item.save()
    RequirementAssessmentChange.objects.bulk_create(_record_changes(actor=actor, item=item, changes=changes, at=now))
    record_event(
        actor=actor,
        action="controls.requirement_assessed",
        target=item,
        data={
            "assessment_id": item.assessment_id,
            "ref": item.requirement.ref,
            "fields": sorted(changes),
            **({"status": [changes["status"][0], status]} if "status" in changes else {}),
            "reviewed": reviewed,
        },
    )
    if "status" in changes:
        enqueue_score_snapshots(assessment_ids=[item.assessment_id])
    return item


@transaction.atomic
def bulk_update_status(
    *, actor, assessment: Assessment, item_ids: list[int], status: str, justification: str = ""
) -> int:
    """Set ``status`` on the chosen rows of ``assessment``; return how many changed.

    Not applicable needs a justification: the one given here, or the one a
    row already has. Rows not of this assessment are refused, not skipped.
    """
    items = list(
        RequirementAssessment.objects.select_for_update()
        .filter(assessment=assessment, pk__in=item_ids)
        .select_related("requirement")
        .order_by("pk")
    )
    if not item_ids:
        raise ValidationError({"items": "Select at least one requirement."})
    if len(items) != len(set(item_ids)):
        raise ValidationError({"items": "Some selected rows are not part of this assessment; reload the page."})
    justification = justification.strip()
    if status == AssessmentStatus.NOT_APPLICABLE and not justification:
        missing = [item.requirement.ref for item in items if not item.justification.strip()]
        if missing:
            raise ValidationError({"justification": f"{JUSTIFICATION_NEEDED} ({', '.join(missing[:10])}{'…' if len(missing) > 10 else ''} have none)."})
    now = timezone.now()
    history, changed = [], []
    for item in items:
        new = {"status": status}
        if justification and status == AssessmentStatus.NOT_APPLICABLE:
            new["justification"] = justification
        changes = _changes(item, new)
        if not changes:
            continue
        for name, (_, value) in changes.items():
            setattr(item, name, value)
        item.updated_by = actor
        item.updated_at = now
        item.needs_review = False
        history += _record_changes(actor=actor, item=item, changes=changes, at=now)
        changed.append(item)
    RequirementAssessment.objects.bulk_update(changed, ["status", "justification", "updated_by", "updated_at", "needs_review"])
    RequirementAssessmentChange.objects.bulk_create(history, batch_size=500)
    if changed:
        record_event(
            actor=actor,
            action="controls.requirements_bulk_assessed",
            target=assessment,
            data={"status": status, "count": len(changed), "refs": [item.requirement.ref for item in changed][:200]},
        )
        enqueue_score_snapshots(assessment_ids=[assessment.pk])
    return len(changed)


# --- Evidence ------------------------------------------------------------------------------


def _link_and_date_errors(*, effective_date: date, expires_on: date | None, controls, requirements) -> dict[str, str]:
    errors = {}
    if not controls and not requirements:
        errors["controls"] = "Link the evidence to at least one control or requirement."
    if expires_on is not None and expires_on < effective_date:
        errors["expires_on"] = "The evidence cannot expire before it takes effect."
    return errors


def upload_evidence(
    *,
    actor,
    file,
    title: str,
    description: str = "",
    effective_date: date,
    expires_on: date | None = None,
    controls: list[Control] = (),
    requirements: list[Requirement] = (),
) -> Evidence:
    """Check, encrypt and store an evidence file under a generated name, and link it; audited with its SHA-256.

    ``file`` is an uploaded file (``size``, ``name``, ``chunks()``). The size is
    checked before the file is read, the type by its content. The file is
    written before the row; if the row is not saved the file is removed.
    """
    errors = _link_and_date_errors(
        effective_date=effective_date, expires_on=expires_on, controls=controls, requirements=requirements
    )
    if file.size > settings.EVIDENCE_MAX_BYTES:
        errors["file"] = too_large_message(file.size)
    if errors:
        raise ValidationError(errors)
    content = b"".join(file.chunks())
    if len(content) > settings.EVIDENCE_MAX_BYTES:  # the announced size was not the real one
        raise ValidationError({"file": too_large_message(len(content))})
    if not content:
        raise ValidationError({"file": "The file is empty."})
    try:
        sniffed = evidence_files.check_content(content=content, name=file.name)
    except evidence_files.EvidenceFileRefused as refused:
        raise ValidationError({"file": str(refused)}) from refused
    uid = uuid.uuid4()
    stored_name = evidence_files.new_stored_name()
    evidence_files.write_encrypted(stored_name=stored_name, uid=uid, content=content)
    try:
        return _save_evidence(
            actor=actor,
            uid=uid,
            stored_name=stored_name,
            title=title,
            description=description,
            original_name=evidence_files.display_name(file.name),
            content_type=sniffed.content_type,
            content=content,
            effective_date=effective_date,
            expires_on=expires_on,
            controls=controls,
            requirements=requirements,
        )
    except BaseException:
        evidence_files.remove(stored_name)
        raise


@transaction.atomic
def _save_evidence(*, actor, uid, stored_name, content: bytes, controls, requirements, **fields) -> Evidence:
    evidence = Evidence.objects.create(
        uid=uid,
        stored_name=stored_name,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
        **{**fields, "title": fields["title"].strip(), "description": fields["description"].strip()},
    )
    evidence.controls.set(controls)
    evidence.requirements.set(requirements)
    record_event(
        actor=actor,
        action="controls.evidence_uploaded",
        target=evidence,
        data={
            "uid": str(uid),
            "sha256": evidence.sha256,
            "size": evidence.size,
            "content_type": evidence.content_type,
            "effective_date": evidence.effective_date.isoformat(),
            "expires_on": evidence.expires_on.isoformat() if evidence.expires_on else None,
            "controls": sorted(control.code for control in controls),
            "requirements": sorted(f"{r.framework.code}:{r.ref}" for r in requirements),
        },
    )
    # Evidence backs requirements of any assessment: its dates and links move their scores.
    enqueue_score_snapshots(assessment_ids=None)
    return evidence


@transaction.atomic
def update_evidence(
    *,
    actor,
    evidence: Evidence,
    title: str,
    description: str = "",
    effective_date: date,
    expires_on: date | None = None,
    controls: list[Control] = (),
    requirements: list[Requirement] = (),
) -> Evidence:
    """Change an evidence record's title, description, dates and links (the file itself never changes); audited."""
    errors = _link_and_date_errors(
        effective_date=effective_date, expires_on=expires_on, controls=controls, requirements=requirements
    )
    if errors:
        raise ValidationError(errors)
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    before = {
        "effective_date": evidence.effective_date,
        "expires_on": evidence.expires_on,
        "controls": sorted(evidence.controls.values_list("code", flat=True)),
        "requirements": sorted(f"{code}:{ref}" for code, ref in evidence.requirements.values_list("framework__code", "ref")),
    }
    after = {
        "effective_date": effective_date,
        "expires_on": expires_on,
        "controls": sorted(control.code for control in controls),
        "requirements": sorted(f"{r.framework.code}:{r.ref}" for r in requirements),
    }
    evidence.title, evidence.description = title.strip(), description.strip()
    evidence.effective_date, evidence.expires_on = effective_date, expires_on
    evidence.save(update_fields=["title", "description", "effective_date", "expires_on"])
    evidence.controls.set(controls)
    evidence.requirements.set(requirements)
    changed = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    record_event(
        actor=actor,
        action="controls.evidence_updated",
        target=evidence,
        data={"uid": str(evidence.uid), "sha256": evidence.sha256, "changed": changed},
    )
    # Evidence backs requirements of any assessment: its dates and links move their scores.
    enqueue_score_snapshots(assessment_ids=None)
    return evidence


@transaction.atomic
def download_evidence(*, actor, evidence: Evidence) -> bytes:
    """Return the decrypted file of ``evidence`` and record the download (with its SHA-256) in the audit log.

    The content is checked against the recorded SHA-256, so a file swapped on
    disk is refused rather than served.
    """
    content = evidence_files.read_decrypted(stored_name=evidence.stored_name, uid=evidence.uid)
    if hashlib.sha256(content).hexdigest() != evidence.sha256:
        raise evidence_files.EvidenceFileRefused("The stored file does not match the SHA-256 recorded at upload.")
    record_event(
        actor=actor,
        action="controls.evidence_downloaded",
        target=evidence,
        data={"uid": str(evidence.uid), "sha256": evidence.sha256, "size": evidence.size},
    )
    return content
