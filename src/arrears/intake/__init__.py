"""Intake: files, accounting packages, mailboxes and bank statements coming into Arrears."""
