"""Bluesky: the adapter (`adapter.BlueskyNetwork`), connecting with an app password (`connect`) and its pages."""
