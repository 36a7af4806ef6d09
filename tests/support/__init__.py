"""What the tests share: servers they start, data they build, and ways to drive chuding."""
