"""Google Workspace connector: Admin SDK Directory (users, groups, members, admin roles, OAuth
tokens), Drive (shared drives and their permissions, as domain admin) and Vault (matters and
holds), over google-api-python-client with a domain-wide-delegated service account.

Records: see transform.py. Vault holds are Resource(kind="vault_hold") + Grant(kind="hold").
"""
