"""Check of staff training: the share of in-scope employees current on all their required training.

Read through ``compliance.staff_training.selectors`` (GDPR Art. 39(1)(b), HIPAA
§ 164.308(a)(5), CCPA regulations § 7100). An employee is in scope with at
least one course or policy acknowledgement required of them, and current when
none of it is overdue. No data when nobody is in scope: it never passes on the
absence of records.
"""

from datetime import datetime

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from compliance.controls.checks.registry import (
    MAX_FAILING_LISTED,
    CheckOutcome,
    FailingObject,
    check,
    failed,
    no_data,
    on,
    passed,
    plural,
)
from compliance.staff_training.selectors import overdue_employees, training_summary


def _employee_url(employee) -> str:
    try:
        return reverse("staff_training:employee_detail", kwargs={"pk": employee.pk})
    except NoReverseMatch:
        return ""


@check(
    key="training.staff_current",
    title="Staff are current on required privacy training",
    description=(
        "At least 95% (TRAINING_CURRENT_THRESHOLD) of the employees with required training are current: "
        "none of their courses or policy acknowledgements is overdue. No data when no employee has training assigned."
    ),
)
def staff_current(*, now: datetime) -> CheckOutcome:
    summary = training_summary(now=now)
    if summary.in_scope_employees == 0:
        return no_data("No employee has required training assigned, so whether staff are current cannot be measured.")
    threshold = settings.TRAINING_CURRENT_THRESHOLD
    share = summary.current_share
    not_current = summary.in_scope_employees - summary.current_employees
    sentence = (
        f"{summary.current_employees} of {plural(summary.in_scope_employees, 'employee')} with required training "
        f"{'is' if summary.current_employees == 1 else 'are'} current ({share:.1%}; the target is {threshold:.0%})"
    )
    if share >= threshold:
        suffix = "." if not_current == 0 else f"; {plural(not_current, 'employee')} overdue."
        return passed(sentence + suffix)
    return failed(
        f"{sentence}; {plural(not_current, 'employee')} overdue.",
        [
            FailingObject(
                label=(
                    f"Employee {item.employee.employee_number} ({item.employee.department}): "
                    f"{', '.join(item.titles)} — overdue since {on(item.earliest_due)}"
                ),
                url=_employee_url(item.employee),
            )
            for item in overdue_employees(now=now, limit=MAX_FAILING_LISTED)
        ],
        total=not_current,
    )
