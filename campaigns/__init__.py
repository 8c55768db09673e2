"""Review campaigns (issue 6): quarterly reviews e-mailed to data managers, decisions
collected from returned workbooks, applied through the connectors and verified by the next
complete sync.

  model.py        the state machine and how decisions combine
  items.py        one review item per person (or unmatched account) and inventory resource
  store.py        the campaign tables (a feature schema in the core store)
  workbook.py     the review workbook a data manager fills in
  importer.py     reading returned workbooks back, all or nothing per workbook
  mail.py         SMTP delivery, reminders and escalation
  remediation.py  close, the remediation plan and applying it
  verify.py       after the next complete sync: gone or still present
  lifecycle.py    the commands as functions: state checks, work, audit log
  cli.py          `access-review campaign ...`
"""
