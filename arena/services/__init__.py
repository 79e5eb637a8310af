"""Services: the arena's use cases, called by views, consumers, admin actions and tasks."""
