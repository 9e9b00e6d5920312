"""Maintained counts of consent records, so pages read figures in constant time however large the tables grow.

The database keeps them: triggers installed by migration (``consent.counters``)
update them in the statement that changes a consent state, appends an event or
creates a subject, whichever code path wrote it (a service, the bulk import's
SQL, the lapse task, erasure completion, the scale-data generator). Nothing in
Python writes them except ``consent.counters.rebuild_counters``, which
recomputes them from the records (the backfilling migration, and repairs).
"""

from django.db import models
from django.db.models import Q

from consent.models.choices import ConsentStatus
from consent.models.purposes import PrivacyNotice, Purpose


class ConsentStateCount(models.Model):
    """How many subjects' current consent state for a purpose has a status (as stored: a grant past expiry still counts as granted)."""

    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, related_name="state_counts")
    status = models.CharField(max_length=16, choices=ConsentStatus.choices)
    subjects = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "consent state count"
        constraints = [models.UniqueConstraint(fields=["purpose", "status"], name="consent_state_count_one_per_status")]

    def __str__(self) -> str:
        return f"{self.purpose_id} {self.status}: {self.subjects}"


class NoticeEventCount(models.Model):
    """How many consent events name a privacy notice version."""

    notice = models.OneToOneField(PrivacyNotice, on_delete=models.CASCADE, primary_key=True, related_name="event_tally")
    events = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "notice event count"

    def __str__(self) -> str:
        return f"notice {self.notice_id}: {self.events}"


class ConsentWeekCount(models.Model):
    """How many consent events of a status occurred for a purpose in a week (Monday to Sunday, UTC, by ``occurred_at``)."""

    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, related_name="week_counts")
    week = models.DateField(help_text="The Monday (UTC) the week starts on.")
    status = models.CharField(max_length=16, choices=ConsentStatus.choices)
    events = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "consent events per week"
        constraints = [models.UniqueConstraint(fields=["purpose", "week", "status"], name="consent_week_count_one_per_status")]
        indexes = [models.Index(fields=["status", "week"], name="consent_week_count_status")]

    def __str__(self) -> str:
        return f"{self.purpose_id} {self.week} {self.status}: {self.events}"


class SubjectCount(models.Model):
    """How many data subjects Custos knows: one row (id 1)."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    subjects = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "subject count"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="consent_subject_count_singleton")]

    def __str__(self) -> str:
        return f"{self.subjects} subjects"
