"""What people read (case lists and reports, my work, the campaign overview, the public
status, exports), scoped by the same actor rule as the use cases."""
