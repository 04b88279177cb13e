"""Event store and delivery records of inbound webhooks."""
