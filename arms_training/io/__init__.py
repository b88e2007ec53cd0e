"""Reading and writing files: YAML/JSON documents, every response source, formula-safe export,
output files written whole or not at all.

Nothing is imported here, so a trainee kernel that reads a vignette does not load pandas."""
