"""The consent app's models, one module per concept; import them from here."""

from consent.models.choices import RECORDABLE_STATUSES, CollectionMethod, ConsentStatus
from consent.models.counts import ConsentStateCount, ConsentWeekCount, NoticeEventCount, SubjectCount
from consent.models.imports import ConsentImport, ConsentImportError
from consent.models.purposes import PrivacyNotice, Purpose, notice_digest
from consent.models.records import AppendOnlyError, ConsentEvent, ConsentState
from consent.models.subjects import DataSubject

__all__ = [
    "RECORDABLE_STATUSES",
    "AppendOnlyError",
    "CollectionMethod",
    "ConsentEvent",
    "ConsentImport",
    "ConsentImportError",
    "ConsentState",
    "ConsentStateCount",
    "ConsentStatus",
    "ConsentWeekCount",
    "DataSubject",
    "NoticeEventCount",
    "PrivacyNotice",
    "Purpose",
    "SubjectCount",
    "notice_digest",
]
