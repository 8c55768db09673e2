"""Review campaigns (issue 6): quarterly reviews e-mailed to data managers, decisions
collected from returned workbooks, applied through the connectors and verified by the next
complete sync.

  model.py        the state machine and how decisions combine
  rules.py        the review rules in one place: who reviews (never themselves), what an
                  answer may be, when answers count, the default decision for the unanswered
  wording.py      plain words for reviewers: paths, flags, rules, recommendations, defaults
  items.py        one review item per person (or unmatched account) and inventory resource
  store.py        the campaign tables (a feature schema in the core store)
  responses.py    decided / defaulted / unanswered, per reviewer and for the campaign
  workbook.py     the review workbook a data manager fills in (and prints)
  filenames.py    safe file names from data, confined to their folder
  importer.py     reading returned workbooks back, all or nothing per workbook, every problem at once
  mail.py         SMTP delivery, reminders, escalation and "please fix" replies
  remediation.py  close, the remediation plan and applying it
  verify.py       after the next complete sync: gone or still present
  delivery.py     send (once per reviewer, --resend), remind and escalate, "please fix" replies
  lifecycle.py    the commands as functions: state checks, work, audit log
  results.py      what others (the exports) may read of the campaigns
  cli.py          `access-review campaign ...`
"""

import logging as _logging

# A library stays quiet unless its user configures logging (the `access-review` command does):
# without this, Python's last-resort handler would print warnings to standard error.
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
