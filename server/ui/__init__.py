"""The browser query UI: YASGUI (shipped in the package) aimed at this server's own /sparql."""
