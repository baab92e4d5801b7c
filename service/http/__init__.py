"""HTTP plumbing the API and the pages share: the request's session and caller, and schemas."""
