"""The six roles (Django groups) and the model permissions each one holds.

Groups and their permissions are created by data migrations calling
``sync_role_permissions``; later apps add their permissions here and ship a
migration that calls it again.
"""

from django.db import models


class Role(models.TextChoices):
    DPO = "DPO", "Data protection officer"
    COMPLIANCE_MANAGER = "Compliance manager", "Compliance manager"
    AUDITOR = "Auditor", "Auditor"
    DATA_STEWARD = "Data steward", "Data steward"
    ML_ENGINEER = "ML engineer", "ML engineer"
    EMPLOYEE = "Employee", "Employee"


# Roles that must pass TOTP verification before any page but login, enrolment,
# verification and logout. Employees only see their own training.
MFA_REQUIRED_ROLES = frozenset(
    {Role.DPO, Role.COMPLIANCE_MANAGER, Role.AUDITOR, Role.DATA_STEWARD, Role.ML_ENGINEER}
)

# Reading consent records and subjects (identifiers masked; revealing them is a
# separate permission only the DPO holds).
CONSENT_READ = [
    "consent.view_datasubject",
    "consent.view_purpose",
    "consent.view_privacynotice",
    "consent.view_consentevent",
    "consent.view_consentstate",
]

# Reading erasure requests, their steps and discovery counts, legal holds, and access requests.
ERASURE_READ = [
    "erasure.view_erasurerequest",
    "erasure.view_erasurestep",
    "erasure.view_discoveryresult",
    "erasure.view_legalhold",
    "erasure.view_accessrequest",
    "erasure.view_accessresult",
]

# Reading the compliance catalogs, controls, assessments, evidence (and downloading it) and check results.
CONTROLS_READ = [
    "controls.view_framework",
    "controls.view_requirement",
    "controls.view_control",
    "controls.view_assessment",
    "controls.view_requirementassessment",
    "controls.view_evidence",
    "controls.view_checkresult",
]

# Running assessments, managing controls and evidence, running the automated checks on demand.
CONTROLS_MANAGE = [
    "controls.add_control",
    "controls.change_control",
    "controls.add_assessment",
    "controls.change_assessment",
    "controls.change_requirementassessment",
    "controls.add_evidence",
    "controls.change_evidence",
    "controls.run_checks",
]

# Audit reports (compliance/reports/): list, request, download the PDF and its signature.
REPORTS_USE = [
    "reports.view_auditreport",
    "reports.add_auditreport",
    "reports.download_auditreport",
]

# The manager dashboard (compliance/reports/, figures without personal data) and the auditor's workspace.
REPORTS_DASHBOARD = ["reports.view_dashboardsummary"]
REPORTS_WORKSPACE = ["reports.view_workspace"]

# Reading the training roster, courses, policies, assignments, completions, imports and statements.
# Everyone sees their own training through staff_training.selectors (object-level), not these.
STAFF_TRAINING_READ = [
    "staff_training.view_employee",
    "staff_training.view_course",
    "staff_training.view_policy",
    "staff_training.view_policyversion",
    "staff_training.view_assignment",
    "staff_training.view_completion",
    "staff_training.view_rosterimport",
    "staff_training.view_lmsimport",
    "staff_training.view_xapistatement",
]

# Managing employee training: the roster and its imports, courses, policies, waivers, completions.
STAFF_TRAINING_MANAGE = [
    "staff_training.import_roster",
    "staff_training.change_employee",
    "staff_training.add_course",
    "staff_training.change_course",
    "staff_training.add_policy",
    "staff_training.change_policy",
    "staff_training.add_policyversion",
    "staff_training.waive_assignment",
    "staff_training.add_completion",
    "staff_training.import_lms",
]

# The training gate (TRAINING_GATE) applies to holders: the roles that handle personal data.
TRAINING_GATED = ["staff_training.gated_by_training"]

# "app_label.codename" per role. Permissions of apps not installed yet are skipped.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.DPO: [
        "audit.view_auditevent",
        "audit.verify_chain",
        "accounts.view_user",
        "accounts.manage_api_keys",
        # Registry: every dataset (to edit and grant), every model (to read), budget overrides.
        "datasets.view_dataset",
        "datasets.add_dataset",
        "datasets.change_dataset",
        "datasets.manage_dataset_access",
        "datasets.view_mlmodel",
        "datasets.add_privacybudgetoverride",
        # Consent: subjects (and their identifiers in clear), purposes, notices, consent records.
        *CONSENT_READ,
        "consent.add_datasubject",
        "consent.change_datasubject",
        "consent.reveal_identifiers",
        "consent.add_purpose",
        "consent.change_purpose",
        "consent.add_privacynotice",
        "consent.add_consentevent",
        # Erasure: file, verify, approve, reject requests; set and release legal holds.
        *ERASURE_READ,
        "erasure.add_erasurerequest",
        "erasure.change_erasurerequest",
        "erasure.approve_erasurerequest",
        "erasure.add_legalhold",
        "erasure.change_legalhold",
        # Access requests: file, verify, reject, retry, and download the archive (DPO only).
        "erasure.add_accessrequest",
        "erasure.change_accessrequest",
        "erasure.download_accessrequest",
        *CONTROLS_READ,
        *REPORTS_DASHBOARD,
        *TRAINING_GATED,
    ],
    Role.COMPLIANCE_MANAGER: [
        "audit.view_auditevent",
        "audit.verify_chain",
        "accounts.view_user",
        "datasets.view_dataset",
        "datasets.view_mlmodel",
        *CONSENT_READ,
        *ERASURE_READ,
        *CONTROLS_READ,
        *CONTROLS_MANAGE,
        *STAFF_TRAINING_READ,
        *STAFF_TRAINING_MANAGE,
        *REPORTS_USE,
        *REPORTS_DASHBOARD,
        *REPORTS_WORKSPACE,
    ],
    Role.AUDITOR: [
        "audit.view_auditevent",
        "audit.verify_chain",
        "datasets.view_dataset",
        "datasets.view_mlmodel",
        *CONSENT_READ,
        *ERASURE_READ,
        *CONTROLS_READ,
        *STAFF_TRAINING_READ,
        # Generating a report writes nothing the auditor audits: it reads every register and signs the result.
        *REPORTS_USE,
        *REPORTS_DASHBOARD,
        *REPORTS_WORKSPACE,
    ],
    # Stewards and engineers see only what is granted to them (object permissions).
    Role.DATA_STEWARD: ["datasets.add_dataset", *TRAINING_GATED],
    Role.ML_ENGINEER: ["datasets.add_mlmodel", *TRAINING_GATED],
    Role.EMPLOYEE: [],
}


def sync_role_permissions(apps, schema_editor=None) -> None:
    """Create the role groups and set each one's permissions to exactly ROLE_PERMISSIONS.

    Usable from a data migration (``apps`` is the historical registry) and after
    migrate or flush (the global registry): model permissions are created first,
    since Django only makes them at the end of migrate.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        if apps is global_apps:
            create_permissions(app_config, apps=apps, verbosity=0)
        else:
            # A migration's app stubs have no models module, which create_permissions
            # takes to mean "no models": lend it one for the call.
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
