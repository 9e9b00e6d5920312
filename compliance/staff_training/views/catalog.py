"""Courses and policies: lists, details, a course's creation and edit (audience, recurrence, grace period,
passing score, proof, controls supported), a policy's creation, and a new policy version (text or file)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from compliance.staff_training import selectors, services
from compliance.staff_training.forms import CourseForm, PolicyForm, PolicyVersionForm
from compliance.staff_training.views.common import (
    ADD_COURSE,
    ADD_POLICY,
    ADD_POLICY_VERSION,
    CHANGE_COURSE,
    VIEW_COURSE,
    VIEW_POLICY,
    required,
)

COURSE_FIELDS = (
    "title", "description", "audience_departments", "audience_job_roles", "audience_roles", "grace_days",
    "valid_days", "passing_score", "proof_kind", "xapi_activity_id", "control_codes", "requirement_refs", "active",
)


def _attach(form, error: Exception) -> None:
    """Put a service's refusal on the form: field errors on their fields, anything else on the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    elif isinstance(error, ValidationError):
        form.add_error(None, error)
    else:
        form.add_error(None, str(error))


def in_force(policy, today):
    """The version in force from the policy's prefetched versions (newest first), without a query per policy."""
    return next((version for version in policy.versions.all() if version.effective_date <= today), None)


@require_GET
@required(VIEW_COURSE)
def course_list(request):
    """Every course: who must take it, how often, how completion is proven."""
    context = {"courses": selectors.courses_for_user(user=request.user), "may_add": request.user.has_perm(ADD_COURSE)}
    return render(request, "staff_training/course_list.html", context)


@require_http_methods(["GET", "POST"])
@required(ADD_COURSE)
def course_create(request):
    """Create a course; the assignment rules then assign it to its audience."""
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.create_course(actor=request.user, **form.cleaned_data)
        except (services.TrainingActionRefused, ValidationError) as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, f"Course {course.code} created and assigned to its audience.")
            return redirect("staff_training:course_detail", code=course.code)
    status = 400 if request.method == "POST" else 200
    return render(request, "staff_training/course_form.html", {"form": form}, status=status)


@require_GET
@required(VIEW_COURSE)
def course_detail(request, code: str):
    """One course: its audience, recurrence, proof and the controls and requirements it supports."""
    course = selectors.course_for_user(user=request.user, code=code)
    context = {"course": course, "may_change": request.user.has_perm(CHANGE_COURSE)}
    return render(request, "staff_training/course_detail.html", context)


@require_http_methods(["GET", "POST"])
@required(CHANGE_COURSE)
def course_edit(request, code: str):
    """Change a course; a changed audience re-runs the assignment rules (new people assigned, leavers cancelled)."""
    course = selectors.course_for_user(user=request.user, code=code)
    initial = {name: getattr(course, name) for name in COURSE_FIELDS}
    form = CourseForm(request.POST or None, initial=initial, creating=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_course(actor=request.user, course=course, **form.cleaned_data)
        except (services.TrainingActionRefused, ValidationError) as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, f"Course {course.code} saved.")
            return redirect("staff_training:course_detail", code=course.code)
    status = 400 if request.method == "POST" else 200
    return render(request, "staff_training/course_form.html", {"form": form, "course": course}, status=status)


@require_GET
@required(VIEW_POLICY)
def policy_list(request):
    """Every policy with its version in force."""
    today = timezone.localdate()
    policies = [(policy, in_force(policy, today)) for policy in selectors.policies_for_user(user=request.user)]
    context = {"policies": policies, "may_add": request.user.has_perm(ADD_POLICY)}
    return render(request, "staff_training/policy_list.html", context)


@require_http_methods(["GET", "POST"])
@required(ADD_POLICY)
def policy_create(request):
    """Create a policy; its first version is added next."""
    form = PolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.create_policy(actor=request.user, **form.cleaned_data)
        except (services.TrainingActionRefused, ValidationError) as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, f"Policy {policy.title} created. Add its first version to assign it.")
            return redirect("staff_training:policy_version_create", pk=policy.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "staff_training/policy_form.html", {"form": form}, status=status)


@require_GET
@required(VIEW_POLICY)
def policy_detail(request, pk: int):
    """One policy: its audience and every version, the one in force marked."""
    policy = selectors.policy_for_user(user=request.user, pk=pk)
    context = {
        "policy": policy,
        "versions": policy.versions.all(),
        "current": in_force(policy, timezone.localdate()),
        "may_add_version": request.user.has_perm(ADD_POLICY_VERSION),
    }
    return render(request, "staff_training/policy_detail.html", context)


@require_http_methods(["GET", "POST"])
@required(ADD_POLICY_VERSION)
def policy_version_create(request, pk: int):
    """Add a version (text or document, effective date); from that day everyone in scope must acknowledge it."""
    policy = selectors.policy_for_user(user=request.user, pk=pk)
    form = PolicyVersionForm(request.POST or None, request.FILES or None, initial={"effective_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = services.add_policy_version(
                actor=request.user,
                policy=policy,
                version=data["version"],
                effective_date=data["effective_date"],
                text=data["text"],
                file=data["file"],
            )
        except (services.TrainingActionRefused, ValidationError) as refusal:
            _attach(form, refusal)
        else:
            messages.success(
                request,
                f"{policy.title} version {version.version} added, in force from {version.effective_date:%Y-%m-%d}; "
                "everyone in scope is asked to acknowledge it.",
            )
            return redirect("staff_training:policy_detail", pk=policy.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "staff_training/policy_version_form.html", {"form": form, "policy": policy}, status=status)
