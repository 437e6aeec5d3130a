"""Everything search, in one package. A newcomer's map:

- `query.py`: what a coder typed -> a ParsedQuery (code, prefix, range, list or words);
- `fulltext.py`: the document's parts and weights (FIELD_GROUPS) and WordQuery, the words
  to find as FTS5 (SQLite) or tsquery (PostgreSQL) text;
- `schema.py`: the document's declaration (DOCUMENT), from which its SQL, the triggers
  that keep the index in step and the tables that move the catalogue generation derive;
- `links.py`: ORM paths from a code to a vocabulary, as tables and columns;
- `generation.py`: the catalogue generation, the number the triggers move on every change;
- `facets.py`: the facet registry (FACETS), the FilterSet derived from it, the page's facet
  lists;
- `facet_index.py`: every code's facet values as numpy arrays, rebuilt per generation;
- `engine.py`: `find`: matches, relevance, facet filters and counts, order, at any size;
- `matching.py`: the same matching and ranking as an ORM queryset (the admin's search box);
- `snippets.py`, `spelling.py`: highlighted snippets, "Did you mean";
- `diagnoses.py`: ICD-10-CM codes, prefixes and words of the current release, beside
  procedures;
- `page.py`: the entry points the views call: `search_page` and `typeahead`.

docs/architecture.md walks a search request through them.
"""
