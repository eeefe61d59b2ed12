"""Communications: brands, templates, rendering, the outbox and the channels (docs/comms.md).

brand.py      how a creditor appears (white label or in the agency's name)
templates.py  the sandboxed Jinja2 templates and their catalogue
context.py    the context every template receives
render.py     an outbound action -> the rendered message(s), PDFs included
outbox.py     render once, store with the idempotency key; retry and dead letters
dispatcher.py drain the outbox within contact hours and caps, through the channels
channels/     email (SMTP), maildir, SMS gateway, letters (PDF), call tasks
"""
