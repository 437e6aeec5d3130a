"""Readers for CMS's public files, one module per file kind, and the importers that store
them as releases. Readers never touch the database; importers never parse text."""
