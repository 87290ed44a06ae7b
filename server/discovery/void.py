"""The VoID and DCAT description of the store, served at /.well-known/void: made by the core (agrs.void).

It lives in the core because `agrs export` writes the same description into its dumps, without a server.
"""

from agrs.void import DUMP_PATH, LINK_PREDICATES, LINK_TARGETS, LinkTarget, link_counts, void_graph

__all__ = ["DUMP_PATH", "LINK_PREDICATES", "LINK_TARGETS", "LinkTarget", "link_counts", "void_graph"]
