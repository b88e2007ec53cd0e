"""The trainee exercise without widgets."""
