"""Names that are page addresses (``new``, ``import``…) are never given to a record."""

import pytest
from django.core.exceptions import ValidationError

from datasets.services import create_dataset, create_model, create_version

pytestmark = pytest.mark.django_db


def messages_of(excinfo) -> list[str]:
    return [message for messages in excinfo.value.message_dict.values() for message in messages]


@pytest.mark.parametrize("slug", ["new", "import"])
def test_a_dataset_slug_that_names_a_page_is_refused(dpo, slug):
    with pytest.raises(ValidationError) as excinfo:
        create_dataset(actor=dpo, name="Anything", slug=slug)
    assert messages_of(excinfo) == [f"'{slug}' names a page of its own and cannot be a dataset's slug; choose another."]


def test_a_derived_dataset_slug_steps_around_page_names(dpo):
    assert create_dataset(actor=dpo, name="New").slug == "new-2"
    assert create_dataset(actor=dpo, name="Import").slug == "import-2"


@pytest.mark.parametrize("name", ["New", "Runs", "For dataset"])
def test_a_derived_model_slug_steps_around_page_names(engineer, name):
    assert create_model(actor=engineer, name=name).slug.endswith("-2")


@pytest.mark.parametrize("label", ["new", "import-dvc"])
def test_a_version_label_that_names_a_page_is_refused(dpo, dataset, label):
    with pytest.raises(ValidationError) as excinfo:
        create_version(actor=dpo, dataset=dataset, label=label)
    assert messages_of(excinfo) == [f"'{label}' names a page of its own and cannot be a version label; choose another."]
