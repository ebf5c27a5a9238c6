"""The service's HTTP side: the app factory and the GitHub webhook."""
