"""The controls app's models: catalogs and assessments (frameworks.py, assessments.py), evidence and automated checks (evidence.py, checks.py), score snapshots (scores.py)."""

from compliance.controls.models.assessments import (
    Assessment,
    AssessmentScope,
    AssessmentStatus,
    RequirementAssessment,
    RequirementAssessmentChange,
)
from compliance.controls.models.checks import CheckResult, CheckStatus, EncryptionKeyRecord
from compliance.controls.models.controls import AutomatedStatus, Control, ControlStatus
from compliance.controls.models.evidence import Evidence
from compliance.controls.models.frameworks import Framework, Requirement, RequirementImplementation
from compliance.controls.models.scores import ScoreSnapshot

__all__ = [
    "Assessment",
    "AssessmentScope",
    "AssessmentStatus",
    "AutomatedStatus",
    "CheckResult",
    "CheckStatus",
    "Control",
    "ControlStatus",
    "EncryptionKeyRecord",
    "Evidence",
    "Framework",
    "Requirement",
    "RequirementAssessment",
    "RequirementAssessmentChange",
    "RequirementImplementation",
    "ScoreSnapshot",
]
