"""Ingestion: parse official documents into clause records, validate, embed, index and publish."""
