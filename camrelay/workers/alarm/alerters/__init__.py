"""Alert plugins (telegram, siren; relay later), their registry and the dispatcher."""
