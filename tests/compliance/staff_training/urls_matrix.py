"""Matrix rows for the staff-training pages (compliance/staff_training/urls.py).

"Own" pages (my training, the team, the policy text, the acknowledgement, one's own
certificate) answer every signed-in role; the setups give the requesting user an
employee record so each role is probed on its own rows.
"""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.accounts.roles import Role
from compliance.staff_training.models import LmsImport, RosterImport
from tests.compliance.staff_training import builders
from tests.compliance.staff_training.views.conftest import assignment, completed, employee_of
from tests.permission_matrix import ADMIN, EVERYONE, UrlCase

READERS = frozenset({Role.COMPLIANCE_MANAGER.value, Role.AUDITOR.value, ADMIN})
MANAGERS = frozenset({Role.COMPLIANCE_MANAGER.value, ADMIN})


def _own_policy_assignment(user):
    policy = builders.policy()
    version = builders.version(policy, "1.0", date(2026, 1, 1), file=SimpleUploadedFile("aup.pdf", b"%PDF-1.4 matrix"))
    return assignment(employee_of(user), policy_version=version)


def own_assignment(user) -> dict:
    return {"pk": _own_policy_assignment(user).pk}


def own_version(user) -> dict:
    return {"pk": _own_policy_assignment(user).policy_version_id}


def own_certificate(user) -> dict:
    return {"pk": completed(employee_of(user), builders.course()).pk}


def other_employee(user) -> dict:
    return {"pk": builders.employee().pk}


def other_open_course(user) -> dict:
    return {"pk": assignment(builders.employee(), course=builders.course()).pk}


def course(user) -> dict:
    return {"code": builders.course().code}


def policy(user) -> dict:
    return {"pk": builders.policy().pk}


def roster_import(user) -> dict:
    return {"pk": RosterImport.objects.create(actor=None, sha256="0" * 64, filename="roster.csv").pk}


def lms_import(user) -> dict:
    return {"pk": LmsImport.objects.create(actor=None, sha256="0" * 64, filename="lms.csv").pk}


CASES = [
    UrlCase("staff_training:my_training", allowed=EVERYONE),
    # The user's own policy acknowledgement, then back to "My training".
    UrlCase("staff_training:acknowledge", allowed=EVERYONE, setup=own_assignment, method="post", status=302),
    UrlCase("staff_training:certificate", allowed=EVERYONE, setup=own_certificate),
    UrlCase("staff_training:policy_version_text", allowed=EVERYONE, setup=own_version),
    UrlCase("staff_training:policy_version_document", allowed=EVERYONE, setup=own_version),
    UrlCase("staff_training:team", allowed=EVERYONE),
    UrlCase("staff_training:compliance", allowed=READERS, denied=(403,)),
    UrlCase("staff_training:compliance_export", allowed=READERS, denied=(403,)),
    UrlCase("staff_training:employee_list", allowed=READERS, denied=(403,)),
    UrlCase("staff_training:employee_detail", allowed=READERS, setup=other_employee),
    # An empty username unlinks (nothing to unlink here), then back to the employee's page.
    UrlCase("staff_training:employee_link", allowed=MANAGERS, setup=other_employee, method="post", status=302),
    UrlCase("staff_training:completion_record", allowed=MANAGERS, setup=other_employee),
    UrlCase("staff_training:assignment_waive", allowed=MANAGERS, denied=(403,), setup=other_open_course),
    UrlCase("staff_training:course_list", allowed=READERS, denied=(403,)),
    UrlCase("staff_training:course_create", allowed=MANAGERS, denied=(403,)),
    UrlCase("staff_training:course_detail", allowed=READERS, denied=(403,), setup=course),
    UrlCase("staff_training:course_edit", allowed=MANAGERS, denied=(403,), setup=course),
    UrlCase("staff_training:policy_list", allowed=READERS, denied=(403,)),
    UrlCase("staff_training:policy_create", allowed=MANAGERS, denied=(403,)),
    UrlCase("staff_training:policy_detail", allowed=READERS, denied=(403,), setup=policy),
    UrlCase("staff_training:policy_version_create", allowed=MANAGERS, denied=(403,), setup=policy),
    UrlCase("staff_training:import_list", allowed=READERS, denied=(403,)),
    UrlCase("staff_training:hr_import", allowed=MANAGERS, denied=(403,)),
    UrlCase("staff_training:roster_import_detail", allowed=READERS, denied=(403,), setup=roster_import),
    UrlCase("staff_training:lms_import", allowed=MANAGERS, denied=(403,)),
    UrlCase("staff_training:lms_import_detail", allowed=READERS, denied=(403,), setup=lms_import),
    UrlCase("staff_training:statement_list", allowed=READERS, denied=(403,)),
]
