"""Keyset paging of the subject list: every row once across the pages, either way, ties included; changed cursors refused."""

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from consent import paging, selectors
from consent.models import DataSubject
from consent.services import record_consent

pytestmark = pytest.mark.django_db


def _subjects_with_ties(count: int) -> list[str]:
    """Create ``count`` subjects in groups of seven sharing one ``created_at``; return their ids in the list's order."""
    DataSubject.objects.bulk_create([DataSubject(external_id=f"s-{n:04d}") for n in range(count)])
    start = timezone.now() - timedelta(days=1)
    for n in range(0, count, 7):
        DataSubject.objects.filter(external_id__in=[f"s-{m:04d}" for m in range(n, n + 7)]).update(created_at=start + timedelta(seconds=n))
    rows = DataSubject.objects.values_list("created_at", "external_id")
    return [external_id for _, external_id in sorted(rows, reverse=True)]


def _walk_forward(user, size, query=""):
    pages, cursor = [], None
    while True:
        page = selectors.subject_page(user=user, query=query, cursor=cursor, size=size)
        pages.append(page)
        if not page.has_next:
            return pages
        cursor = page.next_cursor


def test_every_row_appears_once_walking_forward_then_back(dpo):
    expected = _subjects_with_ties(103)

    pages = _walk_forward(dpo, size=10)

    forward = [subject.external_id for page in pages for subject in page.rows]
    assert forward == expected
    assert [len(page.rows) for page in pages] == [10] * 10 + [3]
    assert not pages[0].has_previous and pages[1].has_previous
    backward, page = [], pages[-1]
    while page.has_previous:
        page = selectors.subject_page(user=dpo, cursor=page.previous_cursor, size=10)
        backward.append([subject.external_id for subject in page.rows])
    assert backward == [[subject.external_id for subject in earlier.rows] for earlier in reversed(pages[:-1])]
    assert page.has_next and not page.has_previous


def test_a_page_size_equal_to_a_tie_group_splits_it_without_loss(dpo):
    expected = _subjects_with_ties(28)

    forward = [subject.external_id for page in _walk_forward(dpo, size=7) for subject in page.rows]

    assert forward == expected


def test_the_search_filter_holds_across_pages(dpo):
    in_order = _subjects_with_ties(40)
    DataSubject.objects.bulk_create([DataSubject(external_id=f"other-{n}") for n in range(5)])

    pages = _walk_forward(dpo, size=4, query="s-001")

    assert [subject.external_id for page in pages for subject in page.rows] == [
        external_id for external_id in in_order if external_id.startswith("s-001")
    ]
    assert [len(page.rows) for page in pages] == [4, 4, 2]


def test_each_page_counts_current_grants_of_its_rows(dpo, purpose, make_subject):
    now = timezone.now()
    grant = {"actor": dpo, "purpose": purpose, "status": "granted", "notice_version": "v1", "collection_method": "app"}
    record_consent(subject=make_subject("a"), **grant)
    record_consent(subject=make_subject("lapsed"), occurred_at=now - timedelta(days=3), expires_at=now - timedelta(days=1), **grant)
    make_subject("b")

    rows = {subject.external_id: subject.granted_count for subject in selectors.subject_page(user=dpo).rows}

    assert rows == {"a": 1, "lapsed": 0, "b": 0}


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",  # an empty cursor is the first page, not an error (tested below)
        signing.dumps(["x", "2026-01-01T00:00:00+00:00", "s-1"], salt=paging.SALT),  # signed, but no direction
        signing.dumps(["n", "not a date", "s-1"], salt=paging.SALT),
        signing.dumps(["n", "2026-01-01T00:00:00", "s-1"], salt=paging.SALT),  # naive
        signing.dumps(["n", "2026-01-01T00:00:00+00:00"], salt=paging.SALT),
        signing.dumps(["n", "2026-01-01T00:00:00+00:00", "s-1"], salt="another.salt"),
    ],
)
def test_a_changed_cursor_is_refused_with_a_clear_message(dpo, cursor):
    _subjects_with_ties(3)
    if not cursor:
        assert len(selectors.subject_page(user=dpo, cursor=cursor).rows) == 3
        return

    with pytest.raises(paging.BadCursor, match="This page link is damaged or out of date"):
        selectors.subject_page(user=dpo, cursor=cursor)


def test_a_cursor_changed_by_one_character_is_refused(dpo):
    _subjects_with_ties(30)
    cursor = selectors.subject_page(user=dpo, size=10).next_cursor
    tampered = cursor[:-1] + ("A" if cursor[-1] != "A" else "B")

    with pytest.raises(paging.BadCursor):
        selectors.subject_page(user=dpo, cursor=tampered, size=10)
