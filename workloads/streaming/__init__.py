"""Kafka -> Feast streaming: synthetic credit-activity events in, validated features in the online store."""
