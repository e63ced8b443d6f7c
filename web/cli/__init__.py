"""The `forum` command line, one module per area; importing each registers its commands on
:data:`main`. Each command's docstring is its --help."""
from web.cli import cases, editions, forum_day, judging, objects, selection, site, users
from web.cli.base import main

__all__ = ["main"]
AREAS = (cases, editions, forum_day, judging, objects, selection, site, users)  # registered on import
