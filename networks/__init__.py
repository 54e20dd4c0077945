"""The social networks, one package per network (`x/`, `bluesky/`, `mastodon/`, `local/`; adding a network is adding a
folder and naming it in `registry.NETWORKS` and `urls.py`). Each has its adapter, and the pages
and connect flow of that network. Shared: the adapter interface and its errors (`base`), and the
registry from a network's name to its adapter, imported on first use (`registry.get_network`).
See DESIGN.md, "Network adapters".

May use audit and accounts (an adapter publishes for a SocialAccount).
"""
