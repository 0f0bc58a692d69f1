"""leshan-pub: Chinese articles to bilingual English DOCX/PDF under an enforced glossary."""

__version__ = "0.1.0"
