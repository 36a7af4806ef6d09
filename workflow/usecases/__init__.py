"""The verbs: one module per family. Each takes the acting person (a login, a browser's
visit, the service's own actor) and settles it inside its own transaction."""
