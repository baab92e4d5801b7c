"""supplywatch: the HTTP service, the CLI and the report ingest that stores stand on."""
