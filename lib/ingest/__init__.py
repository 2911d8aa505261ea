"""What comes in: the landing zone's files and lines, the one JSON parse, the release calendar."""
