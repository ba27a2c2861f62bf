"""Format parsers: each turns a stream of one file into rows or features, logging errors by line."""
