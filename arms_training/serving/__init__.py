"""Starting the trainee and staff Voila servers."""
