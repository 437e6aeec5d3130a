"""Two transactions refreshing one code's search rows at once (codes/search/schema.py's
refresh function, PostgreSQL). Runs on a scratch database of its own, where transactions
commit; SQLite writes one transaction at a time, so there is nothing to race there."""

import threading
import time

import pytest

from tests.search.helpers import manage


def test_a_refresh_waits_for_a_concurrent_change_to_the_code_and_reads_it_after(
    scratch_database_url,
):
    if not scratch_database_url.startswith("postgres"):
        pytest.skip("SQLite writes one transaction at a time")
    import psycopg

    manage(scratch_database_url, "migrate", "-v0")
    manage(scratch_database_url, "load_reference_data", "-v0")
    with (
        psycopg.connect(scratch_database_url) as unpublishing,
        psycopg.connect(scratch_database_url) as renaming,
    ):
        (code_id,) = unpublishing.execute(
            "SELECT id FROM codes_codeprocedure WHERE code = '64868'"
        ).fetchone()
        unpublishing.execute(
            "UPDATE codes_codeprocedure SET editorial_state = 'draft' WHERE id = %s", [code_id]
        )

        def rename_one_of_its_nerves():
            # Its refresh reaches 64868, which the other transaction has changed but not
            # yet committed: it must wait, then read the code as a draft. One nerve: each
            # renamed row refreshes the code again, and a second refresh, starting after
            # the commit, would mend what the first got wrong.
            renaming.execute(
                "UPDATE codes_nerve SET name = name || ' quokka' WHERE id = (SELECT min(nerve_id) "
                "FROM codes_codeprocedure_nerves WHERE codeprocedure_id = %s)",
                [code_id],
            )
            renaming.commit()

        worker = threading.Thread(target=rename_one_of_its_nerves)
        worker.start()
        time.sleep(1.0)
        unpublishing.commit()
        worker.join(timeout=60)
        assert not worker.is_alive()

        (public_words,) = unpublishing.execute(
            "SELECT count(*) FROM codes_searchvocabulary_public WHERE code_id = %s", [code_id]
        ).fetchone()
        assert public_words == 0, "a draft's words reached the public vocabulary"
        (words,) = unpublishing.execute(
            "SELECT words FROM codes_searchentry WHERE rowid = %s", [code_id]
        ).fetchone()
        assert "quokka" in words  # and the rename reached its document
