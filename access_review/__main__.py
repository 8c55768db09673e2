"""`python3 -m access_review ...`: the same app as the `access-review` command."""

from .cli import main

main()
