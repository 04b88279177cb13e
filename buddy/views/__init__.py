"""Coordinator pages of the buddy app: account (tokens), dashboard, people, matches."""
