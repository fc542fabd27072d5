"""The chapter's story as a runnable scenario, separate from the backend (Docker or kubectl)."""
