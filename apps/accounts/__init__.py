"""Accounts: the user model (email login) and personal API tokens."""
