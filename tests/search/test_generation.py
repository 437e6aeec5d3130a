"""codes/search/generation.py: the catalogue generation moves with every change."""

import pytest
from django.db import connection

from codes.models import CodeProcedure

pytestmark = pytest.mark.django_db


def test_catalogue_generation_moves_with_every_kind_of_change():
    from codes.models import PlaceOfService
    from codes.search.generation import read_generation

    seen = [read_generation()]

    def moved():
        seen.append(read_generation())
        return seen[-1] != seen[-2]

    code = CodeProcedure.objects.get(code="64868")
    CodeProcedure.objects.filter(pk=code.pk).update(is_add_on=True)
    assert moved()
    code.places_of_service.add(PlaceOfService.objects.get(code="11"))
    assert moved()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE codes_placeofservice SET name = name || ' (renamed)'")
    assert moved()
    code.places_of_service.clear()
    assert moved()


def test_the_generation_row_is_written_when_it_holds_no_writer_back():
    # On PostgreSQL, written at each change the generation row would stay locked to the end of
    # every writing transaction, making concurrent writers queue or deadlock: it is written
    # at commit. SQLite has one writer at a time anyway, and writes it at each change.
    from codes.search.generation import read_generation
    from tests.search.helpers import writes_deferred_to_commit

    before = read_generation()
    with writes_deferred_to_commit() as deferred:
        CodeProcedure.objects.filter(code="64868").update(title="Changed")
        CodeProcedure.objects.filter(code="64866").update(title="Changed too")
        if deferred:
            assert read_generation() == before  # not yet: the transaction has not committed
    assert read_generation() != before
