"""Spreadsheets and evidence files for people outside the tool: the superintendent workbook
(``superintendent``) and a campaign's evidence pack for an auditor (``evidence``).

Both hold confidential data, so every file is written atomically and owner-only
(``atomic``), and every text cell is neutralized against formula injection (``cells``).
"""
