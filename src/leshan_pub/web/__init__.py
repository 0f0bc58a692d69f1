"""Review in the browser: a page on 127.0.0.1 for one document, saving through the import path (needs the [review] extra)."""
