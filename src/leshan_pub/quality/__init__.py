"""What is checked before English is trusted: term verification, figures, QA findings, and what a glossary change affects."""
