"""The employee's own pages: "My training" (assigned, due, completed, expired), the one-click policy
acknowledgement, the policy text, the certificate of completion, and a manager's team view."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from compliance.staff_training import downloads, selectors, services
from compliance.staff_training.models import Assignment

OPEN = frozenset(Assignment.OPEN_STATUSES)
CURRENT = frozenset({Assignment.Status.COMPLETED, Assignment.Status.WAIVED})


def group_assignments(assignments) -> dict[str, list[Assignment]]:
    """Split an employee's assignments (all cycles) into what is to do, done, lapsed and no longer required."""
    groups: dict[str, list[Assignment]] = {"to_do": [], "completed": [], "expired": [], "cancelled": []}
    for assignment in assignments:
        if assignment.status in OPEN:
            groups["to_do"].append(assignment)
        elif assignment.status in CURRENT:
            groups["completed"].append(assignment)
        elif assignment.status == Assignment.Status.EXPIRED:
            groups["expired"].append(assignment)
        else:
            groups["cancelled"].append(assignment)
    groups["to_do"].sort(key=lambda assignment: (assignment.due_at, assignment.pk))
    return groups


@require_GET
@login_required
def my_training(request):
    """The signed-in employee's training: what to do by when, what is done (with certificates), what lapsed."""
    employee = selectors.employee_for_user(user=request.user)
    context = {"employee": employee, "now": timezone.now()}
    if employee is not None:
        context.update(group_assignments(selectors.assignments_for_employee(user=request.user, employee=employee)))
        context["has_team"] = employee.reports.exists()
    return render(request, "staff_training/my_training.html", context)


@require_POST
@login_required
def acknowledge(request, pk: int):
    """Acknowledge the policy version of one of the user's own assignments; the version and the time are recorded."""
    assignment = selectors.assignment_for_user(user=request.user, pk=pk)
    try:
        completion = services.acknowledge_policy(actor=request.user, assignment=assignment)
    except services.TrainingActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        version = completion.policy_version
        messages.success(
            request,
            f"You acknowledged {version.policy.title} version {version.version} on "
            f"{timezone.localtime(completion.completed_at):%Y-%m-%d at %H:%M}.",
        )
    return redirect("staff_training:my_training")


@require_GET
@login_required
def policy_version_text(request, pk: int):
    """Read one policy version (its text, or a link to its document) before acknowledging it."""
    version = selectors.version_for_user(user=request.user, pk=pk)
    return render(request, "staff_training/policy_version.html", {"version": version, "policy": version.policy})


@require_GET
@login_required
def policy_version_document(request, pk: int):
    """Send a policy version's uploaded document as an attachment; audited like every download."""
    version = selectors.version_for_user(user=request.user, pk=pk)
    if not version.file:
        messages.error(request, f"{version.policy.title} version {version.version} has no document; its text is shown here.")
        return redirect("staff_training:policy_version_text", pk=version.pk)
    try:
        handle = downloads.policy_document_for_download(actor=request.user, version=version)
    except FileNotFoundError:
        messages.error(
            request,
            f"The document of {version.policy.title} version {version.version} is missing from storage; nothing was sent. "
            "Ask the compliance manager to upload it again.",
        )
        return redirect("staff_training:policy_version_text", pk=version.pk)
    response = FileResponse(handle, as_attachment=True, filename=version.file.name.rsplit("/", 1)[-1])
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@login_required
def certificate(request, pk):
    """Download the certificate of completion (PDF) of one completion; every download is audited."""
    completion = selectors.completion_for_user(user=request.user, pk=pk)
    content = downloads.certificate_for_download(actor=request.user, completion=completion)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=downloads.certificate_filename(completion)
    )
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@login_required
def team(request):
    """A manager's direct reports: each one's open and overdue training, and the overdue items by due date."""
    employee = selectors.employee_for_user(user=request.user)
    members = list(selectors.team_for_manager(user=request.user)) if employee is not None else []
    overdue = sorted(
        (
            (member, assignment)
            for member in members
            for assignment in member.open_assignments
            if assignment.status == Assignment.Status.OVERDUE
        ),
        key=lambda pair: (pair[1].due_at, pair[1].pk),
    )
    context = {"employee": employee, "members": members, "overdue": overdue}
    return render(request, "staff_training/team.html", context)
