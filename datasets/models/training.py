"""ML models, their training runs, and privacy-budget overrides."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from datasets.models.choices import DeploymentStatus, ErasureStatus, PrivacyTechnique, Resolution, RunStatus
from datasets.models.registry import Dataset
from datasets.models.versions import DatasetVersion


class MLModel(models.Model):
    """A machine-learning model the organisation trains, and what it is for.

    Engineers see a model, and register its runs, only when it is granted to them
    (django-guardian); its creator is granted it. DPO, compliance managers and
    auditors see every model.
    """

    # Fixed addresses in datasets/urls/models.py; a slug equal to one would hide its own page.
    RESERVED_SLUGS = frozenset({"new", "runs", "for-dataset"})

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_models",
    )
    intended_use = models.TextField(blank=True, verbose_name="intended use")
    deployment_status = models.CharField(
        max_length=16,
        choices=DeploymentStatus.choices,
        default=DeploymentStatus.DEVELOPMENT,
        verbose_name="deployment status",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "ML model"
        permissions = [("manage_model_access", "Can grant and revoke access to any ML model")]

    def __str__(self) -> str:
        return self.name


class MLModelUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(MLModel, on_delete=models.CASCADE)


class MLModelGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(MLModel, on_delete=models.CASCADE)


class TrainingRun(models.Model):
    """One training of a model on dataset versions, with its privacy technique.

    When an erasure touches a version the run used, the run is flagged
    (``affected`` when the version's membership filter holds the subject,
    ``possibly_affected`` when the version has no filter) and stays flagged until
    its owner resolves it: retrained on a later version, unlearning applied, or
    exempt with a reason.
    """

    model = models.ForeignKey(MLModel, on_delete=models.PROTECT, related_name="runs")
    dataset_versions = models.ManyToManyField(DatasetVersion, related_name="training_runs", verbose_name="dataset versions")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    code_reference = models.CharField(
        max_length=500,
        blank=True,
        verbose_name="code reference",
        help_text="Commit, tag or URL of the training code.",
    )
    metrics = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    privacy_technique = models.CharField(
        max_length=16,
        choices=PrivacyTechnique.choices,
        default=PrivacyTechnique.NONE,
        verbose_name="privacy technique",
    )
    epsilon = models.FloatField(null=True, blank=True, verbose_name="ε")
    delta = models.FloatField(null=True, blank=True, verbose_name="δ")
    accountant = models.CharField(max_length=100, blank=True, help_text="The DP accountant, for example rdp or prv.")
    k_anonymity_k = models.PositiveIntegerField(null=True, blank=True, verbose_name="k of the training data")
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    erasure_status = models.CharField(
        max_length=20,
        choices=ErasureStatus.choices,
        default=ErasureStatus.NONE,
        verbose_name="erasure status",
    )
    erasure_references = models.JSONField(
        default=list,
        blank=True,
        verbose_name="erasure requests",
        help_text="The erasure requests that flagged the run since it was last resolved.",
    )
    flagged_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    resolved_on_version = models.ForeignKey(
        DatasetVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="retrained on",
    )
    resolution_reason = models.TextField(blank=True, verbose_name="reason")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("started_at")),
                name="datasets_trainingrun_finishes_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(privacy_technique=PrivacyTechnique.DP_SGD) | Q(epsilon__isnull=False, epsilon__gt=0),
                name="datasets_trainingrun_dp_has_epsilon",
            ),
            models.CheckConstraint(
                condition=Q(epsilon__isnull=True) | Q(epsilon__gt=0),
                name="datasets_trainingrun_epsilon_positive",
            ),
            models.CheckConstraint(
                condition=Q(delta__isnull=True) | Q(delta__gte=0, delta__lt=1),
                name="datasets_trainingrun_delta_range",
            ),
            models.CheckConstraint(
                condition=~Q(erasure_status=ErasureStatus.RESOLVED) | ~Q(resolution=""),
                name="datasets_trainingrun_resolved_has_resolution",
            ),
            models.CheckConstraint(
                condition=~Q(resolution=Resolution.RETRAINED) | Q(resolved_on_version__isnull=False),
                name="datasets_trainingrun_retrained_names_version",
            ),
            models.CheckConstraint(
                condition=~Q(resolution=Resolution.EXEMPT) | ~Q(resolution_reason=""),
                name="datasets_trainingrun_exempt_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["erasure_status"], name="datasets_run_erasure_status")]

    def __str__(self) -> str:
        return f"run #{self.pk} of {self.model}"

    @property
    def is_flagged(self) -> bool:
        return self.erasure_status in (ErasureStatus.AFFECTED, ErasureStatus.POSSIBLY_AFFECTED)


class PrivacyBudgetOverride(models.Model):
    """A DPO's permission for one model's next run to take a dataset past its ε budget.

    Recorded before the run is registered and consumed by it: ``run`` is set when
    a registration uses the override, which then cannot be used again.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="budget_overrides")
    model = models.ForeignKey(MLModel, on_delete=models.PROTECT, related_name="budget_overrides")
    epsilon_over = models.FloatField(
        verbose_name="ε over budget allowed",
        help_text="How far past the dataset's budget the run may take it.",
    )
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    run = models.OneToOneField(
        TrainingRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="budget_override",
        help_text="The run that used this override.",
    )
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(epsilon_over__gt=0), name="datasets_budgetoverride_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="datasets_budgetoverride_has_reason"),
        ]

    def __str__(self) -> str:
        return f"budget override #{self.pk} for {self.dataset}"
