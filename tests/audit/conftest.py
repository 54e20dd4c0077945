import pytest

from .helpers import give_names


@pytest.fixture
def named(staff):
    return give_names(staff)
