"""Building the record of processing activities (GDPR Art. 30(1)) from the registry.

One activity per dataset and purpose it serves (a dataset that names no
purpose is one activity flagged "Missing: purpose"). Each activity carries
what Art. 30(1)(a)–(g) asks for: the controller and the DPO's contact, the
purpose and its lawful basis, the categories of data subjects and of personal
data, the recipients, transfers to third countries with their safeguards, the
retention period, and the security measures (encryption, anonymisation,
access control). Whatever the registry does not record is written as
"Missing: …" so the gap shows, never left blank.

Read through the selectors of datasets and consent in a fixed number of
queries (datasets, purposes, storage locations, share-link recipients),
whatever the registry's size. The record holds one row per activity, so it is
built in memory: its size is the registry's (datasets × purposes), not the
size of any data.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from consent import selectors as consent_selectors
from datasets import selectors as dataset_selectors

MISSING = "Missing: "
# The registry does not record these yet (processors and transfers arrive with governance, 13/14).
NOT_RECORDED_SUBJECTS = "Missing: categories of data subjects (not recorded in the registry)"
NOT_RECORDED_TRANSFERS = "Missing: transfers to third countries and their safeguards (not recorded in the registry)"
NOT_IN_REGISTRY = frozenset({"categories of data subjects", "third-country transfers"})

COLUMNS = (
    "activity",
    "dataset",
    "dataset_name",
    "dataset_status",
    "controller",
    "controller_contact",
    "dpo_contact",
    "purpose",
    "purpose_name",
    "lawful_basis",
    "categories_of_data_subjects",
    "subjects_jurisdictions",
    "categories_of_personal_data",
    "sensitivity",
    "recipients",
    "third_country_transfers",
    "retention",
    "encryption",
    "anonymisation",
    "access_control",
    "storage",
    "missing",
)


@dataclass(frozen=True)
class Controller:
    """The controller and DPO as Art. 30(1)(a) names them (settings CUSTOS_CONTROLLER_* and CUSTOS_DPO_CONTACT)."""

    name: str
    contact: str
    address: str
    dpo_contact: str


@dataclass
class Activity:
    """One processing activity: a dataset used for one purpose, with every Art. 30(1) entry as text."""

    reference: str
    dataset_slug: str
    dataset_name: str
    dataset_status: str
    purpose_code: str
    purpose_name: str
    lawful_basis: str
    categories_of_data_subjects: str
    subjects_jurisdictions: str
    categories_of_personal_data: str
    sensitivity: str
    recipients: str
    third_country_transfers: str
    retention: str
    encryption: str
    anonymisation: str
    access_control: str
    storage: str
    missing: list[str] = field(default_factory=list)

    @property
    def registry_gaps(self) -> list[str]:
        """Return the missing entries the registry can hold (and someone should fill in)."""
        return [entry for entry in self.missing if entry not in NOT_IN_REGISTRY]

    def as_row(self, controller: Controller) -> dict[str, object]:
        """Return the activity as one CSV / JSON row in COLUMNS order."""
        return {
            "activity": self.reference,
            "dataset": self.dataset_slug,
            "dataset_name": self.dataset_name,
            "dataset_status": self.dataset_status,
            "controller": controller.name,
            "controller_contact": controller.contact,
            "dpo_contact": controller.dpo_contact,
            "purpose": self.purpose_code or MISSING + "purpose",
            "purpose_name": self.purpose_name,
            "lawful_basis": self.lawful_basis,
            "categories_of_data_subjects": self.categories_of_data_subjects,
            "subjects_jurisdictions": self.subjects_jurisdictions,
            "categories_of_personal_data": self.categories_of_personal_data,
            "sensitivity": self.sensitivity,
            "recipients": self.recipients,
            "third_country_transfers": self.third_country_transfers,
            "retention": self.retention,
            "encryption": self.encryption,
            "anonymisation": self.anonymisation,
            "access_control": self.access_control,
            "storage": self.storage,
            "missing": self.missing,
        }


@dataclass(frozen=True)
class RecordOfProcessing:
    """The whole record: who the controller is, when it was generated, and its activities."""

    controller: Controller
    generated_at: object
    activities: list[Activity]

    @property
    def missing_count(self) -> int:
        """How many activities lack an entry the registry can hold (the two it cannot hold yet aside)."""
        return sum(1 for activity in self.activities if activity.registry_gaps)


def controller() -> Controller:
    """Return the controller and DPO contact from the settings; an unset value is flagged as missing."""
    return Controller(
        name=settings.CUSTOS_CONTROLLER_NAME or "Missing: controller name (CUSTOS_CONTROLLER_NAME)",
        contact=settings.CUSTOS_CONTROLLER_CONTACT or "Missing: controller contact (CUSTOS_CONTROLLER_CONTACT)",
        address=settings.CUSTOS_CONTROLLER_ADDRESS or "Missing: controller address (CUSTOS_CONTROLLER_ADDRESS)",
        dpo_contact=getattr(settings, "CUSTOS_DPO_CONTACT", "") or "Missing: DPO contact (CUSTOS_DPO_CONTACT)",
    )


def _labels(instance, field_name: str) -> dict[str, str]:
    choices_class = type(instance)._meta.get_field(field_name).choices_class
    return dict(choices_class.choices) if choices_class is not None else {}


def _join(values: Iterable[str]) -> str:
    return "; ".join(values)


def _flag(missing: list[str], what: str) -> str:
    missing.append(what)
    return MISSING + what


def _retention(dataset, missing: list[str]) -> str:
    if dataset.retention_days is None:
        return _flag(missing, "retention period")
    return f"{dataset.retention_days} days, then {dataset.get_retention_action_display().lower()}"


def _encryption(dataset, locations: list, missing: list[str]) -> str:
    parts = []
    if dataset.encryption_at_rest:
        parts.append(f"At rest: {dataset.encryption_at_rest}")
    else:
        parts.append(_flag(missing, "encryption at rest"))
    if dataset.encryption_in_transit:
        parts.append("in transit: yes")
    else:
        parts.append(_flag(missing, "encryption in transit"))
    if locations:
        encrypted = sum(1 for location in locations if location.encrypted_at_rest)
        parts.append(f"{encrypted} of {len(locations)} stores encrypted at rest")
    return "; ".join(parts)


def _anonymisation(dataset) -> str:
    technique = dataset.get_anonymisation_technique_display()
    parameters = []
    if dataset.anonymisation_k is not None:
        parameters.append(f"k={dataset.anonymisation_k}")
    if dataset.anonymisation_epsilon is not None:
        parameters.append(f"ε={dataset.anonymisation_epsilon:g}")
    if dataset.anonymisation_delta is not None:
        parameters.append(f"δ={dataset.anonymisation_delta:g}")
    return f"{technique} ({', '.join(parameters)})" if parameters else technique


def _access_control(dataset, missing: list[str]) -> str:
    owner = f"Owner: {dataset.owner.get_username()}" if dataset.owner_id else _flag(missing, "owner")
    return (
        "Role-based: the DPO, compliance managers and auditors read it; data stewards by object grant; "
        f"TOTP for every staff role; every read of identifiers audited. {owner}"
    )


def _storage(locations: list) -> str:
    if not locations:
        return "No storage location registered"
    kinds = sorted({location.get_kind_display() for location in locations})
    return f"{len(locations)} location(s): {', '.join(kinds)}"


def _activities_for(dataset, *, purposes: dict, locations: list, recipients: list[str]) -> list[Activity]:
    categories = _labels(dataset, "data_categories")
    bases = _labels(dataset, "lawful_bases")
    codes = list(dataset.purposes) or [None]
    activities = []
    for code in codes:
        missing: list[str] = []
        purpose = purposes.get(code) if code else None
        if code is None:
            purpose_name = _flag(missing, "purpose")
        elif purpose is None:
            purpose_name = _flag(missing, f"purpose {code!r} is not registered")
        else:
            purpose_name = purpose.name
        dataset_bases = [bases.get(basis, basis) for basis in dataset.lawful_bases]
        if purpose is not None:
            lawful_basis = purpose.get_lawful_basis_display()
            if dataset_bases and lawful_basis not in dataset_bases:
                lawful_basis += f" (the dataset records {_join(dataset_bases)})"
        elif dataset_bases:
            lawful_basis = _join(dataset_bases)
        else:
            lawful_basis = _flag(missing, "lawful basis")
        # Art. 30(1)(c) and (e): not in the registry yet, so flagged on every activity.
        missing.append("categories of data subjects")
        missing.append("third-country transfers")
        personal = _join(categories.get(code, code) for code in dataset.data_categories) or _flag(
            missing, "categories of personal data"
        )
        activity = Activity(
            reference=f"{dataset.slug}/{code or '-'}",
            dataset_slug=dataset.slug,
            dataset_name=dataset.name,
            dataset_status=dataset.get_status_display(),
            purpose_code=code or "",
            purpose_name=purpose_name,
            lawful_basis=lawful_basis,
            categories_of_data_subjects=NOT_RECORDED_SUBJECTS,
            subjects_jurisdictions=_join(dataset.subject_jurisdictions) or _flag(missing, "subjects' jurisdictions"),
            categories_of_personal_data=personal,
            sensitivity=dataset.get_sensitivity_display(),
            recipients=_join(recipients) if recipients else _flag(missing, "recipients"),
            third_country_transfers=NOT_RECORDED_TRANSFERS,
            retention=_retention(dataset, missing),
            encryption=_encryption(dataset, locations, missing),
            anonymisation=_anonymisation(dataset),
            access_control=_access_control(dataset, missing),
            storage=_storage(locations),
            missing=missing,
        )
        activities.append(activity)
    return activities


def may_read_record(user) -> bool:
    """Whether ``user`` may read the whole record: readers of every dataset (DPO, compliance managers, auditors)."""
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm("datasets.view_dataset")


def record_of_processing(*, user, now=None) -> RecordOfProcessing:
    """Return the record of processing activities of every dataset ``user`` may see (four queries).

    Datasets come by name, archived ones too (their data is held until
    retention removes it); the activities of one dataset follow its purposes'
    order.
    """
    datasets = list(dataset_selectors.datasets_for_user(user=user, filters=dataset_selectors.DatasetFilters(status="")))
    purposes = {purpose.code: purpose for purpose in consent_selectors.visible_purposes(user)}
    locations: dict[int, list] = defaultdict(list)
    for location in dataset_selectors.locations_for_user(user=user):
        locations[location.dataset_id].append(location)
    recipients = dataset_selectors.recipient_organisations(datasets=datasets)
    activities = []
    for dataset in datasets:
        activities.extend(
            _activities_for(
                dataset, purposes=purposes, locations=locations[dataset.pk], recipients=recipients.get(dataset.pk, [])
            )
        )
    return RecordOfProcessing(controller=controller(), generated_at=now or timezone.now(), activities=activities)
