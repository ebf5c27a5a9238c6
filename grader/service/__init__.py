"""What the web service's parts share: the job contract and the state a request handler sees."""
