"""The compliance view of training (compliance managers, auditors): completion per course and per department
as bar charts, the 12-month trend, the overdue list, and the overdue list as a streamed, formula-safe CSV."""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from compliance import charts
from compliance.audit.exports import batched, stream_export
from compliance.staff_training import selectors
from compliance.staff_training.views.common import PER_PAGE, VIEW_ASSIGNMENT, required

EXPORT_COLUMNS = (
    "employee_id",
    "name",
    "department",
    "job_role",
    "manager_employee_id",
    "training",
    "code",
    "status",
    "due_at",
    "days_overdue",
)


def percent(share: float | None) -> float | None:
    """A share (0–1) as a percentage rounded to one decimal; None when nobody is in scope."""
    return None if share is None else round(share * 100, 1)


def _tone(value: float | None) -> str:
    if value is None:
        return "muted"
    if value >= 95:
        return "ok"
    return "warn" if value >= 80 else "bad"


@dataclass(frozen=True)
class RequirementRow:
    """One course or policy version in force, as the per-course chart and table show it."""

    title: str
    url: str
    required: int
    completed: int
    overdue: int
    share: float | None

    @property
    def percent(self) -> float | None:
        return percent(self.share)


def requirement_rows(overview) -> list[RequirementRow]:
    """The courses, then the policies' versions in force, with their figures."""
    rows = [
        RequirementRow(
            figure.course.title,
            reverse("staff_training:course_detail", kwargs={"code": figure.course.code}),
            figure.required,
            figure.completed,
            figure.overdue,
            figure.share,
        )
        for figure in overview.by_course
    ]
    rows += [
        RequirementRow(
            f"{figure.policy.title} v{figure.version.version}",
            reverse("staff_training:policy_detail", kwargs={"pk": figure.policy.pk}),
            figure.required,
            figure.completed,
            figure.overdue,
            figure.share,
        )
        for figure in overview.by_policy
    ]
    return rows


def course_chart(rows: list[RequirementRow]) -> charts.Chart:
    data = [
        charts.Datum(
            label=row.title,
            value=row.percent or 0,
            url=row.url,
            tone=_tone(row.percent),
            # The counts are in the table beside the chart; the bar's label stays short enough to fit.
            display="none in scope" if row.percent is None else f"{row.percent:g}%",
        )
        for row in rows
    ]
    return charts.horizontal_bar_chart(
        chart_id="training-by-course",
        title="Completion per course and policy",
        description="Share of the people who must take each course, or acknowledge each policy version in force, who are current on it.",
        data=data,
        unit="%",
        max_value=100,
        value_header="Current",
        label_header="Course or policy",
        empty_message="No course or policy is assigned yet.",
    )


def department_chart(figures) -> charts.Chart:
    data = []
    for figure in figures:
        value = percent(figure.share)
        data.append(
            charts.Datum(
                label=figure.department or "No department",
                value=value or 0,
                url=f"{reverse('staff_training:employee_list')}?{urlencode({'department': figure.department})}" if figure.department else "",
                tone=_tone(value),
                display="none in scope" if value is None else f"{value:g}%",
            )
        )
    return charts.horizontal_bar_chart(
        chart_id="training-by-department",
        title="Employees current per department",
        description="Share of each department's active employees who are current on every required course and policy.",
        data=data,
        unit="%",
        max_value=100,
        value_header="Current",
        label_header="Department",
        empty_message="The roster is empty.",
    )


def trend_chart(months) -> charts.Chart:
    return charts.line_chart(
        chart_id="training-trend",
        title="Completions over 12 months",
        description="Per month: assignments that fell due, those completed on time, and all completions recorded.",
        labels=[f"{month.month:%Y-%m}" for month in months],
        series=[
            charts.Series(name="Due", values=[month.due for month in months]),
            charts.Series(name="Completed on time", values=[month.on_time for month in months], tone="ok"),
            charts.Series(name="Completions recorded", values=[month.completed for month in months]),
        ],
        label_header="Month",
    )


@require_GET
@required(VIEW_ASSIGNMENT)
def compliance(request):
    """Completion per course and department, the 12-month trend and the overdue list (paged)."""
    overview = selectors.compliance_overview(user=request.user, now=timezone.now())
    overdue_page = Paginator(overview.overdue, PER_PAGE).get_page(request.GET.get("page"))
    requirements = requirement_rows(overview)
    context = {
        "overview": overview,
        "requirements": requirements,
        "departments": [(figure, percent(figure.share)) for figure in overview.by_department],
        "course_chart": course_chart(requirements),
        "department_chart": department_chart(overview.by_department),
        "trend_chart": trend_chart(overview.trend),
        "overdue_page": overdue_page,
    }
    return render(request, "staff_training/compliance.html", context)


def _export_row(now):
    def row(assignment) -> tuple:
        employee = assignment.employee
        code = assignment.course.code if assignment.course_id else f"{assignment.policy_version.policy.code}@{assignment.policy_version.version}"
        return (
            employee.employee_number,
            employee.name,
            employee.department,
            employee.job_role,
            employee.manager.employee_number if employee.manager_id else "",
            assignment.requirement_title,
            code,
            assignment.status,
            assignment.due_at,
            max((now - assignment.due_at).days, 0),
        )

    return row


@require_GET
@required(VIEW_ASSIGNMENT)
def compliance_export(request):
    """Download the overdue list as CSV, streamed in pages and formula-safe; the export is audited."""
    now = timezone.now()
    overdue = selectors.overdue_assignments(user=request.user, now=now).select_related(
        "employee__manager", "course", "policy_version__policy"
    )
    return stream_export(
        actor=request.user,
        register="training-overdue",
        format="csv",
        columns=EXPORT_COLUMNS,
        rows=batched(overdue, key="id", transform=_export_row(now)),
    )
