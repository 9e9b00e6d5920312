"""The roster pages: the employee list (paged, filtered), one employee's assignment history, a completion
entered by a manager with its evidence note, and a waiver with its reason (the approver is the actor)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compliance.staff_training import selectors, services
from compliance.staff_training.forms import LinkUserForm, ManagerCompletionForm, RosterFilterForm, WaiveForm
from compliance.staff_training.models import Assignment
from compliance.staff_training.views.common import (
    CHANGE_EMPLOYEE,
    PER_PAGE,
    VIEW_EMPLOYEE,
    WAIVE_ASSIGNMENT,
    mask_email,
    query_string,
    required,
)
from compliance.staff_training.views.mine import group_assignments


def _refusal(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def may_record_completion(user, employee) -> bool:
    return services.may_record_for(user=user, employee=employee)


@require_GET
@required(VIEW_EMPLOYEE)
def employee_list(request):
    """The roster: each employee's department, role, manager and open and overdue training, 50 a page."""
    form = RosterFilterForm(request.GET, departments=selectors.departments(user=request.user))
    page = None
    if form.is_valid():
        employees = selectors.employees_for_user(user=request.user, **form.filters())
        page = Paginator(employees, PER_PAGE).get_page(request.GET.get("page"))
        for employee in page:
            employee.masked_email = mask_email(employee.email)
    context = {"form": form, "page": page, "query": query_string(form)}
    return render(request, "staff_training/employee_list.html", context)


@require_GET
@login_required
def employee_detail(request, pk):
    """One employee: roster facts and every assignment of every cycle, with completions and waivers."""
    employee = selectors.employee_for_user_by_pk(user=request.user, pk=pk)
    assignments = list(selectors.assignments_for_employee(user=request.user, employee=employee))
    context = {
        "employee": employee,
        "masked_email": mask_email(employee.email),
        "assignments": assignments,
        "open": group_assignments(assignments)["to_do"],
        "may_record": may_record_completion(request.user, employee),
        "may_waive": request.user.has_perm(WAIVE_ASSIGNMENT),
        "may_link": request.user.has_perm(CHANGE_EMPLOYEE),
        "link_form": LinkUserForm(initial={"username": employee.user.get_username() if employee.user_id else ""}),
    }
    return render(request, "staff_training/employee_detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def completion_record(request, pk):
    """A manager records that the employee completed one of their open courses, with the evidence and a score."""
    employee = selectors.employee_for_user_by_pk(user=request.user, pk=pk)
    if not may_record_completion(request.user, employee):
        raise PermissionDenied("Only the employee's manager or a compliance manager records completions.")
    open_courses = (
        selectors.assignments_for_employee(user=request.user, employee=employee)
        .filter(status__in=Assignment.OPEN_STATUSES, course__isnull=False)
        .order_by("due_at", "id")
    )
    form = ManagerCompletionForm(request.POST or None, assignments=open_courses, initial={"assignment": request.GET.get("assignment")})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_manager_completion(
                actor=request.user,
                assignment=form.cleaned_data["assignment"],
                completed_at=form.completed_at(),
                evidence_note=form.cleaned_data["evidence_note"],
                score=form.cleaned_data["score"],
            )
        except (services.TrainingActionRefused, ValidationError) as refusal:
            form.add_error(None, _refusal(refusal))
        else:
            messages.success(request, f"Completion of {form.cleaned_data['assignment'].course.title} recorded for {employee.name}.")
            return redirect("staff_training:employee_detail", pk=employee.pk)
    status = 400 if request.method == "POST" else 200
    context = {"employee": employee, "form": form, "has_open": open_courses.exists()}
    return render(request, "staff_training/completion_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@required(WAIVE_ASSIGNMENT)
def assignment_waive(request, pk: int):
    """Waive one open assignment with a reason; the signed-in user is recorded as the approver."""
    assignment = selectors.assignment_for_user(user=request.user, pk=pk)
    form = WaiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.waive_assignment(actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"])
        except (services.TrainingActionRefused, ValidationError) as refusal:
            form.add_error(None, _refusal(refusal))
        else:
            messages.success(request, f"{assignment.requirement_title} waived for {assignment.employee.name}; you are recorded as the approver.")
            return redirect("staff_training:employee_detail", pk=assignment.employee_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "staff_training/waive_form.html", {"assignment": assignment, "form": form}, status=status)


@require_POST
@required(CHANGE_EMPLOYEE)
def employee_link(request, pk):
    """Link the employee to the Custos account they sign in with (or unlink it), so "My training" finds them."""
    employee = selectors.employee_for_user_by_pk(user=request.user, pk=pk)
    form = LinkUserForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["username"]))
        return redirect("staff_training:employee_detail", pk=employee.pk)
    account = form.cleaned_data["username"]
    try:
        services.link_employee_user(actor=request.user, employee=employee, user=account)
    except services.TrainingActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        if account is None:
            messages.success(request, f"{employee.name} is no longer linked to a Custos account.")
        else:
            messages.success(request, f"{employee.name} is linked to the account {account.get_username()}.")
    return redirect("staff_training:employee_detail", pk=employee.pk)
