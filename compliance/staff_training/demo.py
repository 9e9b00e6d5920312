"""Demo staff training for ``manage.py seed_demo``: 50 employees, three courses, a policy in two versions.

A realistic mix, made by the rules themselves: the courses were assigned about
200 days ago, most people completed them (an LMS import), some never did
(overdue), a few completed almost a year ago so their renewal is due soon, a new
starter is within their grace period, one assignment is waived, and the
acceptable-use policy's version 2.0 took effect five days ago, so everyone has
it to acknowledge. The demo users (employee, manager, DPO, steward, engineer)
are on the roster and linked; the demo employee is the new starter, managed by
the demo compliance manager, so "my training" and the team view have something
to show.

Idempotent: when the roster's first demo employee exists nothing is created.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from compliance.accounts.models import User
from compliance.audit.actors import SystemActor
from compliance.audit.services import record_event
from compliance.staff_training.models import Assignment, Course, Employee, Policy, PolicyVersion
from compliance.staff_training.services import apply_lms_import, sync_assignments, waive_assignment
from compliance.staff_training.services.rules import reconcile

DEMO_ACTOR = SystemActor("seed_demo")
DEMO_MANAGER = "manager"
FIRST_NUMBER = "E-1001"
DP_ACTIVITY = "https://lms.demo.custos.example.org/courses/dp-basics"

FIRST_NAMES = [
    "Amara", "Ben", "Chiara", "Dev", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Kofi", "Lena", "Mateo", "Nadia", "Oscar", "Priya", "Quinn", "Rosa", "Sami", "Tara",
    "Umar", "Vera", "Wen", "Ximena", "Yusuf",
]
LAST_NAMES = ["Adeyemi", "Berg", "Costa", "Dubois", "Evans", "Fischer", "Gupta", "Haddad", "Ito", "Jensen"]

# (department, job role, how many); demo users are placed in the first rows of their department.
TEAMS = [
    ("Privacy & Compliance", "Data protection officer", 1),
    ("Privacy & Compliance", "Compliance manager", 1),
    ("Privacy & Compliance", "Privacy analyst", 3),
    ("Engineering", "ML engineer", 8),
    ("Engineering", "Data scientist", 5),
    ("Engineering", "Software engineer", 6),
    ("Data", "Data steward", 4),
    ("Clinical", "Clinical lead", 2),
    ("Clinical", "Nurse", 8),
    ("Clinical", "Clinician", 4),
    ("Operations", "Customer success", 5),
    ("Operations", "Office manager", 3),
]
# Demo user -> (job role of the row they take).
DEMO_USERS = {
    "dpo": "Data protection officer",
    "manager": "Compliance manager",
    "engineer": "ML engineer",
    "steward": "Data steward",
    "employee": "Privacy analyst",
}


def _roster(today):
    """Return the 50 demo employees as dicts, in roster order."""
    rows = []
    index = 0
    taken_users: set[str] = set()
    for department, job_role, count in TEAMS:
        for _ in range(count):
            number = f"E-{1001 + index}"
            user = next((name for name, role in DEMO_USERS.items() if role == job_role and name not in taken_users), None)
            if user:
                taken_users.add(user)
            first, last = FIRST_NAMES[index % len(FIRST_NAMES)], LAST_NAMES[(index * 3) % len(LAST_NAMES)]
            rows.append(
                {
                    "employee_number": number,
                    "name": f"{first} {last}",
                    "email": f"{user}@demo.custos.example.org" if user else f"{first}.{last}.{index}@demo.custos.example.org".lower(),
                    "department": department,
                    "job_role": job_role,
                    # The demo employee started ten days ago (a new starter); others years ago.
                    "start_date": today - timedelta(days=10) if user == "employee" else today - timedelta(days=400 + 37 * index),
                    "user": user,
                }
            )
            index += 1
    return rows


def _courses() -> list[Course]:
    return [
        Course.objects.create(
            code="dp-basics",
            title="Data protection basics",
            description="GDPR, HIPAA and CCPA essentials for everyone who may touch personal data: lawful bases, "
            "subject rights, breaches, and what to do when in doubt.",
            control_codes=["GOV-TRAINING"],
            requirement_refs=["gdpr:art-39-1-b", "hipaa:164.308(a)(5)", "ccpa:7100"],
            valid_days=365,
            grace_days=30,
            passing_score=80,
            proof_kind=Course.ProofKind.QUIZ_SCORE,
            xapi_activity_id=DP_ACTIVITY,
        ),
        Course.objects.create(
            code="secure-ml",
            title="Secure ML engineering",
            description="Handling training data: minimisation, pseudonymisation, differential privacy, model "
            "memorisation and what an erasure request means for a trained model.",
            audience_job_roles=["ML engineer", "Data scientist"],
            audience_roles=["ML engineer"],
            requirement_refs=["gdpr:art-25", "gdpr:art-32"],
            valid_days=730,
            grace_days=45,
            proof_kind=Course.ProofKind.LMS_RECORD,
            xapi_activity_id="https://lms.demo.custos.example.org/courses/secure-ml",
        ),
        Course.objects.create(
            code="hipaa",
            title="HIPAA privacy and security for the clinical team",
            description="Protected health information: minimum necessary, patient rights, safeguards, incidents.",
            audience_departments=["Clinical"],
            requirement_refs=["hipaa:164.308(a)(5)", "hipaa:164.530(b)"],
            valid_days=365,
            grace_days=30,
            passing_score=75,
            proof_kind=Course.ProofKind.QUIZ_SCORE,
            xapi_activity_id="https://lms.demo.custos.example.org/courses/hipaa",
        ),
    ]


AUP_V1 = (
    "Acceptable use of Custos and company systems, version 1.0.\n\nUse personal data only for the purposes "
    "registered for it; never copy it to personal devices; report suspected incidents at once."
)
AUP_V2 = AUP_V1.replace("version 1.0", "version 2.0") + (
    "\n\nNew in 2.0: training data for ML models may only come from registered dataset versions, and "
    "generative AI tools outside the company tenant may not receive personal data."
)


def _lms_csv(rows, today) -> str:
    """Completions for most of the roster; some never completed (overdue), some almost a year ago (renewal due soon)."""
    lines = ["course_code,employee_id,completed_at,score"]
    for index, row in enumerate(rows):
        if row["user"] == "employee":
            continue  # the new starter has everything still to do
        number = row["employee_number"]
        demo_user = row["user"] is not None
        if demo_user or index % 7 != 3:
            days = 355 if (not demo_user and index % 11 == 5) else 20 + (index * 13) % 170
            lines.append(f"dp-basics,{number},{today - timedelta(days=days)},{80 + index % 20}")
        if row["job_role"] in ("ML engineer", "Data scientist") and (demo_user or index % 4 != 1):
            lines.append(f"secure-ml,{number},{today - timedelta(days=60 + index)},")
        if row["department"] == "Clinical" and index % 5 != 2:
            lines.append(f"hipaa,{number},{today - timedelta(days=30 + index * 3)},{78 + index % 20}")
    return "\n".join(lines) + "\n"


@transaction.atomic
def seed_training() -> tuple[int, int]:
    """Create the demo roster, courses, policy and training history when missing; return (created, kept)."""
    if Employee.objects.filter(employee_number=FIRST_NUMBER).exists():
        return 0, Employee.objects.count()
    now = timezone.now()
    today = timezone.localdate(now)
    users = {user.username: user for user in User.objects.filter(username__in=list(DEMO_USERS))}
    manager = users.get(DEMO_MANAGER)
    rows = _roster(today)
    employees = [
        Employee(
            employee_number=row["employee_number"],
            name=row["name"],
            email=row["email"],
            department=row["department"],
            job_role=row["job_role"],
            start_date=row["start_date"],
            user=users.get(row["user"]) if row["user"] else None,
        )
        for row in rows
    ]
    by_role = {}
    for employee in employees:
        by_role.setdefault(employee.department, employee)
    compliance_manager = next(e for e in employees if e.job_role == "Compliance manager")
    for employee in employees:
        lead = by_role[employee.department]
        if employee is compliance_manager or employee.job_role == "Privacy analyst":
            # The demo employee (a privacy analyst) reports to the demo compliance manager: the team view.
            employee.manager = compliance_manager if employee is not compliance_manager else by_role["Privacy & Compliance"]
        elif employee is not lead:
            employee.manager = lead
    Employee.objects.bulk_create(employees)
    courses = _courses()
    policy = Policy.objects.create(code="acceptable-use", title="Acceptable use policy", grace_days=14)
    PolicyVersion.objects.create(policy=policy, version="1.0", text=AUP_V1, effective_date=today - timedelta(days=300))
    record_event(
        actor=DEMO_ACTOR,
        action="training.demo_seeded",
        data={"employees": len(employees), "courses": [course.code for course in courses], "policy": policy.code},
    )
    # The rules as they ran about 200 days ago, when the courses and the policy's first version were rolled out.
    reconcile(now=now - timedelta(days=200), reason=Assignment.Reason.AUDIENCE_CHANGE)
    apply_lms_import(actor=manager or DEMO_ACTOR, content=_lms_csv(rows, today), filename="lms-export-demo.csv")
    waived = Assignment.objects.filter(
        employee__job_role="Data scientist", course__code="secure-ml", status__in=Assignment.OPEN_STATUSES
    ).first()
    if waived is not None and manager is not None:
        waive_assignment(
            actor=manager,
            assignment=waived,
            reason="Took the equivalent course at their previous employer in 2025; certificate on file.",
        )
    PolicyVersion.objects.create(policy=policy, version="2.0", text=AUP_V2, effective_date=today - timedelta(days=5))
    sync_assignments(now=now)
    return len(employees) + len(courses) + 1, 0
