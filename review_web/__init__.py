"""The web review page (issue 17): a second face over the campaigns, for data managers who
answer on a phone or a computer rather than in a workbook. It serves the same items, records
decisions through the same rules (``campaigns.answers``) into the same store and audit log,
and never talks to a directory (it imports no connector).

  settings.py   `serve`'s settings: where it listens, TLS or a reverse proxy, the base URL
  session.py    the session cookie and the forms' CSRF token, signed with the link key
  attempts.py   rate limiting of link attempts, per client address
  display.py    data made safe to show: control and bidi characters made visible
  page.py       what the review page shows, built from a campaign's items and decisions (pure)
  headers.py    security headers on every response (CSP without inline script, no framing)
  app.py        the Starlette application: link → session → page → answers
  server.py     running it under uvicorn
  demo.py       `access-review demo --serve`: a campaign on the demo district, links, the page
  cli.py        `access-review serve`
"""
