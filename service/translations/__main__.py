"""``python -m service.translations``: extract the message ids and update the catalogues."""

from service.translations import extract_and_update

extract_and_update()
