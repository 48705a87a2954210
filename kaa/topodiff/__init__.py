"""Two versions of a topology compared as a list of changes, and the renderers over that list."""
