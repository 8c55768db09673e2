"""Microsoft Entra ID over msal + Microsoft Graph (see access_review/connector.py for the rhythm)."""
