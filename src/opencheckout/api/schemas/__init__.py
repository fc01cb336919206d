"""Request and response models: the public shapes, validated field by field."""
