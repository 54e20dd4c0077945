"""Network adapters: one small class per network behind `base.Network`, found through
`registry.get_network(account)`. See DESIGN.md, "Network adapters"."""
