"""What a client learns about the endpoint: the Service Description, VoID + DCAT, and /health."""
