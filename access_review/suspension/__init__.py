"""ISO suspension and restore (issue 7).

One command disables a person's accounts in every directory, revokes their sessions, records
the prior state under a case, and later restores exactly what that case changed.

  plan.py     pure: an Analysis and the targets -> what would change, account by account
  store.py    the case tables (feature schema "suspensions"): steps, prior state, status
  apply.py    carry out a case's pending steps, one thread per directory
  restore.py  re-enable what the case disabled, reporting drift instead of overwriting it
"""
