"""The built-in network: the adapter (`adapter.LocalNetwork`), its rows (`models`) and the public
timeline pages."""
