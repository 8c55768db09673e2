"""Microsoft Entra ID over msal + Microsoft Graph (see connectors/base.py for the rhythm)."""
