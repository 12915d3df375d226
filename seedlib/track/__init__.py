"""What seeds inserted: the ledger of keys per revision, and a record of every run."""
