"""The schema stays shardable by merchant: every business table carries ``merchant_id`` and
every primary key, unique key and index leads with it."""

from sqlalchemy import Index, UniqueConstraint

from omniloop.models import load_all

REFERENCE_TABLES = {"api_key_lookup", "tracking_code_lookup"}


def _business_tables():
    metadata = load_all()
    return [t for t in metadata.sorted_tables if not t.info.get("reference_table")]


def test_only_the_public_lookups_are_reference_tables():
    metadata = load_all()
    marked = {t.name for t in metadata.sorted_tables if t.info.get("reference_table")}
    assert marked == REFERENCE_TABLES


def test_every_business_table_carries_merchant_id_first_in_its_primary_key():
    for table in _business_tables():
        assert "merchant_id" in table.columns, table.name
        first = list(table.primary_key.columns)[0].name
        assert first == "merchant_id", f"{table.name}: primary key starts with {first}"


def test_every_unique_key_and_index_leads_with_merchant_id():
    for table in _business_tables():
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint):
                first = list(constraint.columns)[0].name
                assert first == "merchant_id", f"{table.name}.{constraint.name} leads with {first}"
        for index in table.indexes:
            assert isinstance(index, Index)
            first = list(index.columns)[0].name
            assert first == "merchant_id", f"{table.name}.{index.name} leads with {first}"
        for column in table.columns:
            assert not (column.unique or (column.index and column.name != "merchant_id")), (
                f"{table.name}.{column.name} declares a single-column unique key or index"
            )


def test_foreign_keys_between_business_tables_stay_within_one_merchant():
    for table in _business_tables():
        for fk in table.foreign_key_constraints:
            local = [c.name for c in fk.columns]
            assert local[0] == "merchant_id", f"{table.name}: {fk.name} does not carry merchant_id"
