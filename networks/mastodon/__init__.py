"""Mastodon through Mastodon.py: one adapter for every server, each account on the server the school chose."""
