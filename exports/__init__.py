"""Reports and evidence files for people outside the tool: the superintendent's report
(``superintendent`` builds it; ``superintendent_xlsx`` lays out the workbook, ``board_brief``
the PDF; ``scorecard``, ``story`` and ``history`` give its first page and trend) and a
campaign's evidence pack for an auditor (``evidence``).

Both hold confidential data, so every file is written atomically and owner-only
(``access_review.private_files``), and every text cell is neutralized against formula
injection (``cells``).
"""

import logging as _logging

# A library stays quiet unless its user configures logging (the `access-review` command does):
# without this, Python's last-resort handler would print warnings to standard error.
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
