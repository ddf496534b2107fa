"""Routing: which (provider, credential, upstream model) serves a requested model, and the
configured payload rules applied to the upstream body."""
