"""The joint training session without widgets: the room, the survey, the session read from the store
(:mod:`.data`) and what the trainer's app shows of it (:mod:`.model`)."""
