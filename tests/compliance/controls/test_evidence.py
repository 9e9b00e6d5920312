"""Evidence files: the content check, the size limit, generated names, encryption at rest, the audited download."""

import io
import zipfile
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from compliance.controls import evidence_files, services
from compliance.controls.models import Control, Evidence
from tests.compliance.controls.conftest import PDF, upload

pytestmark = pytest.mark.django_db

HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.fixture
def control(framework):
    return Control.objects.get(code="CTL-ENC-01")


def refusal(manager, control, **kwargs) -> dict:
    with pytest.raises(ValidationError) as refused:
        upload(manager, controls=[control], **kwargs)
    return refused.value.message_dict


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PDF, "policy.pdf", "application/pdf"),
        (PNG, "screenshot.png", "image/png"),
        (b"\xff\xd8\xff\xe0rest", "photo.jpg", "image/jpeg"),
        (docx(), "policy.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (b"dataset,encrypted\nshop,yes\n", "inventory.csv", "text/csv"),
        (b'{"stores": 3}', "report.json", "application/json"),
        ("Réunion du comité\n".encode(), "minutes.txt", "text/plain"),
    ],
)
def test_accepted_types_are_recognised_by_content(manager, control, content, name, content_type):
    evidence = upload(manager, content=content, name=name, controls=[control])

    assert evidence.content_type == content_type
    assert evidence.size == len(content)


def test_an_html_file_renamed_pdf_is_refused(manager, control):
    errors = refusal(manager, control, content=HTML, name="report.pdf")

    assert errors["file"][0].startswith("The file is HTML, not a PDF.")
    assert not Evidence.objects.exists()


def test_a_png_named_pdf_is_refused_naming_both(manager, control):
    errors = refusal(manager, control, content=PNG, name="report.pdf")

    assert errors["file"] == ["The file is a PNG image, not a PDF: its name ends in .pdf. Rename it or upload the right file."]


@pytest.mark.parametrize("content", [b"MZ\x90\x00\x03binary", b"<svg onload=alert(1)>", b"plain text then <script>x</script>"])
def test_executables_and_markup_are_refused(manager, control, content):
    errors = refusal(manager, control, content=content, name="notes.txt")

    assert errors["file"]


def test_an_oversized_file_is_refused_naming_the_limit(manager, control, settings):
    settings.EVIDENCE_MAX_BYTES = 1024

    errors = refusal(manager, control, content=b"%PDF-" + b"0" * 2043)

    assert errors["file"] == ["The file is 2,048 bytes; evidence files may be at most 1,024 bytes."]


def test_the_default_limit_is_20_mib_and_named_in_the_message(manager, control, settings):
    assert settings.EVIDENCE_MAX_BYTES == 20 * 1024**2

    message = services.too_large_message(25 * 1024**2)

    assert message == "The file is 25 MiB; evidence files may be at most 20 MiB."
    assert services.too_large_message(20 * 1024**2 + 1) == "The file is 20.0 MiB; evidence files may be at most 20 MiB."


def test_a_path_traversal_name_never_reaches_the_file_system(manager, control, settings, tmp_path):
    evidence = upload(manager, controls=[control], name="../../etc/passwd.pdf")

    assert evidence.original_name == "passwd.pdf"
    stored = evidence_files.stored_path(evidence.stored_name)
    assert stored.is_relative_to(settings.EVIDENCE_ROOT)
    assert "passwd" not in evidence.stored_name and ".." not in evidence.stored_name
    assert [path.name for path in settings.EVIDENCE_ROOT.rglob("*") if path.is_file()] == [stored.name]
    assert not (tmp_path / "etc").exists()


@pytest.mark.parametrize(
    ("name", "shown"),
    [("..\\..\\windows\\evil.pdf", "evil.pdf"), ("a\x00b\nc.pdf", "abc.pdf"), ("<img src=x>.pdf", "_img src_x_.pdf"), ("", "evidence")],
)
def test_display_names_are_sanitised(name, shown):
    assert evidence_files.display_name(name) == shown


def test_the_file_is_encrypted_at_rest_and_bound_to_its_record(manager, control):
    secret = b"%PDF-1.7\nDPIA for the churn model: unique marker 7f3a\n%%EOF"
    evidence = upload(manager, controls=[control], content=secret)

    on_disk = evidence_files.stored_path(evidence.stored_name).read_bytes()
    assert b"7f3a" not in on_disk and b"%PDF" not in on_disk
    assert services.download_evidence(actor=manager, evidence=evidence) == secret
    other = upload(manager, controls=[control])
    # A file moved under another record's name does not decrypt there.
    evidence_files.stored_path(other.stored_name).write_bytes(on_disk)
    with pytest.raises(Exception, match="does not decrypt"):
        services.download_evidence(actor=manager, evidence=other)


def test_evidence_must_be_linked_and_expire_after_it_takes_effect(manager, framework):
    with pytest.raises(ValidationError) as refused:
        upload(manager, expires_on=date(2025, 1, 1))

    assert refused.value.message_dict == {
        "controls": ["Link the evidence to at least one control or requirement."],
        "expires_on": ["The evidence cannot expire before it takes effect."],
    }


def test_the_upload_is_audited_without_the_file_name(manager, control):
    evidence = upload(manager, controls=[control], name="jane-doe-contract.pdf")

    event = AuditEvent.objects.get(action="controls.evidence_uploaded")
    assert event.target_id == str(evidence.pk)
    assert event.data["sha256"] == evidence.sha256 and event.data["controls"] == ["CTL-ENC-01"]
    assert "jane" not in str(event.data)


def test_the_download_is_an_audited_attachment_with_nosniff(client_for, manager, control):
    evidence = upload(manager, controls=[control], name="policy.pdf")
    client, auditor = client_for(Role.AUDITOR)

    response = client.get(reverse("controls:evidence_download", kwargs={"uid": evidence.uid}))

    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="policy.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in [part.strip() for part in response["Cache-Control"].split(",")]
    event = AuditEvent.objects.get(action="controls.evidence_downloaded")
    assert event.actor_id == str(auditor.pk)
    assert event.data == {"uid": str(evidence.uid), "sha256": evidence.sha256, "size": len(PDF)}


def test_users_who_may_not_see_evidence_cannot_download_it(client_for, manager, control):
    evidence = upload(manager, controls=[control])
    client, _ = client_for(Role.DATA_STEWARD)

    response = client.get(reverse("controls:evidence_download", kwargs={"uid": evidence.uid}))

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="controls.evidence_downloaded").exists()


def test_a_missing_file_is_not_sent_and_says_why(client_for, manager, control):
    evidence = upload(manager, controls=[control])
    evidence_files.stored_path(evidence.stored_name).unlink()
    client, _ = client_for(Role.AUDITOR)

    response = client.get(reverse("controls:evidence_download", kwargs={"uid": evidence.uid}), follow=True)

    assert "The stored file is missing or does not decrypt" in response.content.decode()
    assert not AuditEvent.objects.filter(action="controls.evidence_downloaded").exists()


def test_the_upload_page_refuses_html_renamed_pdf_with_a_message(client_for, control):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)

    response = client.post(
        reverse("controls:evidence_upload"),
        {"file": SimpleUploadedFile("report.pdf", HTML), "title": "Report", "effective_date": "2026-01-01", "controls": ["CTL-ENC-01"]},
    )

    assert response.status_code == 400
    assert "The file is HTML, not a PDF." in response.content.decode()
    assert not Evidence.objects.exists()


def test_the_upload_page_stores_and_links_the_file(client_for, control):
    client, manager = client_for(Role.COMPLIANCE_MANAGER)

    response = client.post(
        reverse("controls:evidence_upload"),
        {
            "file": SimpleUploadedFile("policy.pdf", PDF),
            "title": "Encryption policy",
            "effective_date": "2026-01-01",
            "expires_on": "2027-01-01",
            "controls": ["CTL-ENC-01"],
            "requirements": "demo:Art. 1(1)\ndemo:Art. 3",
        },
    )

    evidence = Evidence.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("controls:evidence_detail", kwargs={"uid": evidence.uid})
    assert sorted(evidence.requirements.values_list("ref", flat=True)) == ["Art. 1(1)", "Art. 3"]
    assert AuditEvent.objects.get(action="controls.evidence_uploaded").actor_id == str(manager.pk)


def test_the_upload_page_names_unknown_requirements(client_for, control):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)

    response = client.post(
        reverse("controls:evidence_upload"),
        {"file": SimpleUploadedFile("p.pdf", PDF), "title": "P", "effective_date": "2026-01-01", "requirements": "demo:Art. 99"},
    )

    assert response.status_code == 400
    assert "No current requirement demo:Art. 99." in response.content.decode()


def test_a_body_past_the_limit_is_refused_unread(client_for, control, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    client, _ = client_for(Role.COMPLIANCE_MANAGER)

    response = client.post(
        reverse("controls:evidence_upload"),
        {"file": SimpleUploadedFile("big.pdf", PDF * 2000), "title": "Big", "effective_date": "2026-01-01"},
    )

    assert response.status_code == 413
    assert "evidence files may be at most" in response.content.decode()


def test_a_manager_edits_the_dates_and_links_but_not_the_file(client_for, control, framework):
    from tests.compliance.controls.conftest import requirement

    client, manager = client_for(Role.COMPLIANCE_MANAGER)
    evidence = upload(manager, controls=[control])

    response = client.post(
        reverse("controls:evidence_edit", kwargs={"uid": evidence.uid}),
        {"title": "Encryption policy v2", "effective_date": "2026-01-01", "expires_on": "2026-12-31", "requirements": "demo:Art. 3"},
    )

    assert response.status_code == 302
    evidence.refresh_from_db()
    assert (evidence.title, evidence.expires_on) == ("Encryption policy v2", date(2026, 12, 31))
    assert list(evidence.requirements.all()) == [requirement("Art. 3")] and not evidence.controls.exists()
    assert services.download_evidence(actor=manager, evidence=evidence) == PDF
    event = AuditEvent.objects.get(action="controls.evidence_updated")
    assert event.data["changed"] == {
        "expires_on": [None, "2026-12-31"],
        "controls": [["CTL-ENC-01"], []],
        "requirements": [[], ["demo:Art. 3"]],
    }
