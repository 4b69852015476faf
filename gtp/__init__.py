"""zerogo's GTP front end, match runner and command line."""
