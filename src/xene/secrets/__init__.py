"""Secrets: named values kept encrypted in the store, given only to what names them.

    keys.py     the key (XENE_SECRET_KEY, else $XENE_HOME/secret.key) and the cipher
    vault.py    set, list, delete, rotate and resolve secrets over a store
    masking.py  `***` in place of every value, in log lines, records and errors
    inject.py   what an execution does with them when it starts

The store holds ciphertext only; values exist in clear only in the process that runs a
step needing them. `cryptography` is imported only when a secret is encrypted or read.
"""

from __future__ import annotations
