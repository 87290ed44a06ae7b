"""The stored questions (queries/cq/*.rq) as a REST API, its OpenAPI document and its questions page."""
