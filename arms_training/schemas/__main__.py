"""``python -m arms_training.schemas``: regenerate the shipped JSON Schemas from the models."""

from arms_training.schemas import write

for path in write():
    print(path)
