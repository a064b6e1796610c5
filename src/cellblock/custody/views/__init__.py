"""Pages of the custody app, one module per area; ``custody/urls.py`` joins them."""
