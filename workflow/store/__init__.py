"""What the data is: the tables, their migrations, engines and SQL helpers, and the
repository that loads a case with its notice."""
