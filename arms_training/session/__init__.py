"""The joint training session without widgets: the room, the survey."""
