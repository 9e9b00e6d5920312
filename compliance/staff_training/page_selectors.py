"""Reads only the training pages need, beside ``selectors`` (which controls, reports and the gate read too)."""

from django.db.models import Q
from django.http import Http404

from compliance.staff_training.models import PolicyVersion

VIEW_POLICY_VERSION = "staff_training.view_policyversion"


def policy_version_for_user(*, user, pk: int) -> PolicyVersion:
    """Return a policy version ``user`` may read: any, with the view permission; else one assigned to them. 404 otherwise."""
    versions = PolicyVersion.objects.select_related("policy")
    if not user.has_perm(VIEW_POLICY_VERSION):
        versions = versions.filter(Q(assignments__employee__user=user)).distinct()
    version = versions.filter(pk=pk).first()
    if version is None:
        raise Http404("No such policy version.")
    return version


def departments() -> list[str]:
    """Return the departments of the roster, for the filters (one query)."""
    from compliance.staff_training.models import Employee

    return list(Employee.objects.order_by("department").values_list("department", flat=True).distinct())
