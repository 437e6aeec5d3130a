"""How a code reaches a vocabulary, in table terms, from an ORM path.

Facets (`facets.py`) and the search document (`schema.py`) both name what they read by the
path a Django query would use (`nerves`, `code_modifiers__modifier`, `section`); this
module turns such a path into the tables and columns their SQL and triggers need, from
the models' own metadata, so no table or column name is written twice.
"""

from dataclasses import dataclass

from codes.models import CodeProcedure


@dataclass(frozen=True)
class Link:
    """A path from a code to a vocabulary row: the rows of `link_model` hold the code's id
    in `code_column` and the vocabulary row's id in `target_column`. For a code's own
    foreign key (`section`) the link model is the code itself. Column names are the
    database's (the same as the attribute names for these tables)."""

    path: str
    link_model: type
    code_column: str
    target_column: str
    vocabulary_model: type

    @property
    def is_own_column(self):
        return self.link_model is CodeProcedure

    @property
    def table(self):
        return self.link_model._meta.db_table

    @property
    def vocabulary_table(self):
        return self.vocabulary_model._meta.db_table


def resolve(path):
    """Return the Link for an ORM path from CodeProcedure to a vocabulary."""
    first, _, rest = path.partition("__")
    field = CodeProcedure._meta.get_field(first)
    if field.many_to_many:  # a plain many-to-many: its through table
        through = field.remote_field.through
        return Link(
            path, through, field.m2m_column_name(), field.m2m_reverse_name(), field.related_model
        )
    if field.one_to_many:  # a link model of our own (CodeModifier)
        link_model = field.related_model
        target = link_model._meta.get_field(rest)
        return Link(path, link_model, field.field.column, target.column, target.related_model)
    return Link(path, CodeProcedure, "id", field.column, field.related_model)
