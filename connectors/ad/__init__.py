"""Active Directory over LDAP (ldap3): paged reads, ranged `member` retrieval, uSNChanged
incremental sync, disable/enable and membership removal. Tested against a real Samba AD DC."""
