"""Mail's pure model: kinds of mail, recipients, the mail log entry and its retries."""
